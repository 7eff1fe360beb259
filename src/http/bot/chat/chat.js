/* global document, fetch, location, window */
/**
 * The chat page: lists the bots of the registry, creates a Direct Line conversation with the
 * chosen one on this host, and renders the official Web Chat client against it. Web Chat
 * polls (no WebSocket): this host's Direct Line endpoint has no stream URL.
 */
'use strict';

const form = document.getElementById('pick-bot');
const select = document.getElementById('bot');
const button = form.querySelector('button');
const status = document.getElementById('status');
const container = document.getElementById('webchat');
let current = null;

function show(message, isError) {
  status.textContent = message;
  status.classList.toggle('error', Boolean(isError));
}

async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = body.error && body.error.message ? body.error.message : response.statusText;
    throw new Error(reason);
  }
  return body;
}

async function loadBots() {
  const { bots } = await getJson('/chat/bots', { headers: { accept: 'application/json' } });
  select.replaceChildren();
  for (const bot of bots) {
    const option = document.createElement('option');
    option.value = bot.botId;
    option.textContent = [bot.name, bot.appName, bot.workspaceName].filter(Boolean).join(' · ');
    select.append(option);
  }
  if (bots.length === 0) {
    show('No bots are registered on this host yet.', true);
    return;
  }
  select.disabled = false;
  button.disabled = false;
  show('Pick a bot and start a chat.');
}

async function startChat(botId) {
  if (current !== null) current.end();
  show('Connecting…');

  const grant = await getJson('/v3/directline/tokens/generate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bot: { id: botId } }),
  });
  current = window.WebChat.createDirectLine({
    token: grant.token,
    domain: `${location.origin}/v3/directline`,
    webSocket: false,
    pollingInterval: 500,
  });
  window.WebChat.renderWebChat({ directLine: current, userID: grant.userId }, container);
  container.dataset.conversationId = grant.conversationId;
  show('Connected.');
  container.querySelector('input, textarea')?.focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  startChat(select.value).catch((error) =>
    show(`Could not start the chat: ${error.message}`, true),
  );
});

loadBots().catch((error) => show(`Could not load the bots: ${error.message}`, true));
