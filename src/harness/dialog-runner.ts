/**
 * Runs a conversation script against a bot through botbuilder's `TestAdapter`, in process, and
 * reports each step. Links are completed through the same library call the authorization page
 * makes, and resumed conversations arrive through the same resume path the host uses, so a
 * script exercises the real flow without a browser. The first failing step stops the run; the
 * steps after it are reported as skipped.
 */
import { randomUUID } from 'node:crypto';

import { type Activity, TestAdapter, TurnContext } from 'botbuilder';

import { toByokError } from '../base/errors.js';
import type { LinkResult, ResumeConversation } from '../bot/auth-links/resume.js';
import type { BasicAuthService } from '../bot/auth-links/service.js';
import { LinkExpirySweeper } from '../bot/auth-links/sweeper.js';
import type { HostedBot } from '../bot/validation-bot.js';
import type { DialogScript, DialogStep } from './dialog-script.js';

/** What a script runs against. */
export interface HarnessTarget {
  bot: HostedBot;
  /** The Basic Auth service the bot issues its links from. */
  service: BasicAuthService;
  /** Moves the service's clock forward; needed only by `expireLink` steps. */
  advanceClock?: (ms: number) => void;
  /** Link lifetime in seconds; default 600. */
  ttlSeconds?: number;
}

/** The result of one step. */
export interface StepReport {
  index: number;
  kind: string;
  status: 'passed' | 'failed' | 'skipped';
  /** What was checked, or why it failed. */
  detail: string;
  note?: string;
}

/** The result of a script. */
export interface ScriptReport {
  name: string;
  passed: boolean;
  steps: StepReport[];
}

/**
 * Continues a conversation on a TestAdapter the way the host does on its adapter: a
 * ContinueConversation event for the reference, handed to the bot's `resume`.
 */
export function resumeThroughTestAdapter(adapter: TestAdapter, bot: HostedBot): ResumeConversation {
  return async (reference, result: LinkResult) => {
    if (result.owner.botId !== bot.owner.botId) {
      throw new Error('the link belongs to a bot this adapter does not run');
    }
    const event = TurnContext.applyConversationReference(
      { type: 'event', name: 'ContinueConversation' },
      reference,
      true,
    );
    await adapter.processActivity(event, (context) => bot.resume(context, result));
  };
}

/** Runs `script` against `target` and reports every step. */
export async function runDialogScript(
  script: DialogScript,
  target: HarnessTarget,
): Promise<ScriptReport> {
  const adapter = new TestAdapter((context) => target.bot.run(context));
  adapter.conversation = TestAdapter.createConversation(`harness-${randomUUID()}`);
  const run = { adapter, target, resume: resumeThroughTestAdapter(adapter, target.bot), link: '' };

  const steps: StepReport[] = [];
  let failed = false;
  for (const [index, step] of script.steps.entries()) {
    const kind = kindOf(step);
    const base = {
      index: index + 1,
      kind,
      ...(step.note === undefined ? {} : { note: step.note }),
    };
    if (failed) {
      steps.push({ ...base, status: 'skipped', detail: 'an earlier step failed' });
      continue;
    }
    try {
      steps.push({ ...base, status: 'passed', detail: await runStep(run, step) });
    } catch (error) {
      failed = true;
      const detail =
        error instanceof StepFailure ? error.message : `error ${toByokError(error).code}`;
      steps.push({ ...base, status: 'failed', detail });
    }
  }
  return { name: script.name, passed: !failed, steps };
}

/** A step whose expectation was not met. */
class StepFailure extends Error {}

interface Run {
  adapter: TestAdapter;
  target: HarnessTarget;
  resume: ResumeConversation;
  /** The last sign-in link the bot showed. */
  link: string;
}

async function runStep(run: Run, step: DialogStep): Promise<string> {
  if ('join' in step) {
    const user = run.adapter.conversation.user ?? { id: 'harness-user', name: 'Admin' };
    await run.adapter.processActivity({ type: 'conversationUpdate', membersAdded: [user] });
    return 'the user joined';
  }
  if ('user' in step) {
    await run.adapter.receiveActivity(step.user);
    return `the user said "${step.user}"`;
  }
  if ('bot' in step) return expectReply(run, step.bot);
  if ('authorize' in step) return authorize(run, step.authorize, step.outcome);
  if ('expireLink' in step) return expireLinks(run);

  const left = run.adapter.activeQueue.length;
  if (left > 0) throw new StepFailure(`expected no reply, but the bot sent ${left} more`);
  return 'the bot said nothing more';
}

function expectReply(run: Run, expected: Extract<DialogStep, { bot: unknown }>['bot']): string {
  const reply = run.adapter.activeQueue.shift();
  if (reply === undefined) throw new StepFailure('expected a reply, but the bot sent none');

  const said = reply.text ?? '';
  if (expected.text !== undefined && said !== expected.text) {
    throw new StepFailure(`expected "${expected.text}", got "${said}"`);
  }
  if (expected.matches !== undefined && !new RegExp(expected.matches, 'u').test(said)) {
    throw new StepFailure(`expected a reply matching /${expected.matches}/, got "${said}"`);
  }
  if (expected.suggestedAction !== undefined) {
    const values = (reply.suggestedActions?.actions ?? []).map((a) => String(a.value));
    if (!values.includes(expected.suggestedAction)) {
      throw new StepFailure(
        `expected a "${expected.suggestedAction}" button, got [${values.join(', ')}]`,
      );
    }
  }
  if (expected.signInLink !== undefined) {
    const url = signInUrlOf(reply);
    if (url?.pathname.startsWith(expected.signInLink) !== true) {
      throw new StepFailure(`expected a sign-in card linking to ${expected.signInLink}...`);
    }
    run.link = url.toString();
    return `the bot showed a sign-in card linking to ${url.pathname.slice(0, 20)}...`;
  }
  return `the bot said "${said.slice(0, 120)}"`;
}

async function authorize(
  run: Run,
  credentials: { username: string; password: string },
  outcome: string,
): Promise<string> {
  if (run.link === '') throw new StepFailure('no sign-in link was shown before this step');
  const url = new URL(run.link);
  const check = await run.target.service.inspect({
    linkId: url.pathname.split('/').pop(),
    sig: url.searchParams.get('sig'),
    ws: url.searchParams.get('ws'),
  });
  const status =
    check.status === 'valid'
      ? (await run.target.service.submit(check.link, credentials, 'harness', run.resume)).status
      : check.status;
  if (status !== outcome)
    throw new StepFailure(`expected the link to be ${outcome}, it was ${status}`);
  return `entering the credentials on the link: ${status}`;
}

async function expireLinks(run: Run): Promise<string> {
  const advance = run.target.advanceClock;
  if (advance === undefined) throw new StepFailure('this target cannot move its clock');
  advance(((run.target.ttlSeconds ?? 600) + 1) * 1000);
  const sweeper = new LinkExpirySweeper({ service: run.target.service, resume: run.resume });
  const expired = await sweeper.sweepOnce();
  return `the link lifetime passed; the sweep expired ${expired} link(s)`;
}

function signInUrlOf(reply: Partial<Activity>): URL | undefined {
  const attachment = reply.attachments?.find(
    (a) => a.contentType === 'application/vnd.microsoft.card.signin',
  );
  const content = attachment?.content as
    { buttons?: { type?: string; value?: unknown }[] } | undefined;
  const value = content?.buttons?.find((b) => b.type === 'openUrl')?.value;
  return typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
}

function kindOf(step: DialogStep): string {
  return Object.keys(step).find((key) => key !== 'note' && key !== 'outcome') ?? 'step';
}

/** The report as lines for a terminal: one per step, then the verdict. */
export function formatReport(report: ScriptReport): string {
  const marks = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  const lines = report.steps.map((step) => {
    const note = step.note === undefined ? '' : ` (${step.note})`;
    return `${marks[step.status]} ${String(step.index).padStart(2)} ${step.kind}: ${step.detail}${note}`;
  });
  lines.push(`${report.passed ? 'PASSED' : 'FAILED'}: ${report.name}`);
  return lines.join('\n');
}
