/**
 * Any botbuilder bot adopting the sealing plugin: its transcript and its conversation state
 * (dialog state included) are stored in MongoDB sealed under the workspace's key. The adoption
 * itself is the three marked lines; the rest sets up a database and a key to run on.
 *
 * Run against a database: `MONGODB_URI=mongodb://127.0.0.1:27017 npx tsx examples/plugin-bot.ts`
 * It talks to the bot through the SDK's TestAdapter; a real host passes the same middleware
 * to its CloudAdapter (`adapter.use(plugin.transcriptLogger)`).
 */
import { randomBytes } from 'node:crypto';

import { ActivityHandler, ConversationState, TestAdapter } from 'botbuilder';

import { LocalKeyProvider } from '../src/aws/local-key.js';
import { createSealingPlugin } from '../src/bot/index.js';
import { DefaultKeyResolver, EnvelopeSealer } from '../src/sealing/index.js';
import { connectDatabase } from '../src/store/database.js';
import { MongoKeyVault } from '../src/store/key-vault.js';

/** An ordinary bot: it counts the user's messages in conversation state. */
class CountingBot extends ActivityHandler {
  constructor(state: ConversationState) {
    super();
    const count = state.createProperty<number>('count');
    this.onMessage(async (context, next) => {
      const seen = (await count.get(context, 0)) + 1;
      await count.set(context, seen);
      await context.sendActivity(`Message ${seen}: ${context.activity.text}`);
      await state.saveChanges(context);
      await next();
    });
  }
}

const uri = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017';
const database = await connectDatabase(uri, `plugin_example_${randomBytes(4).toString('hex')}`);
const sealer = new EnvelopeSealer({
  vault: new MongoKeyVault(database.db),
  resolver: new DefaultKeyResolver(new LocalKeyProvider(randomBytes(32))),
});

// Adopting the plugin:
const owner = { tenantId: 'example-workspace', appId: 'example-app', botId: 'counting-bot' };
const plugin = createSealingPlugin({ db: database.db, sealer, owner });
const bot = new CountingBot(new ConversationState(plugin.storage));
const adapter = new TestAdapter((context) => bot.run(context)).use(plugin.transcriptLogger);

await adapter.send('hello').assertReply('Message 1: hello').startTest();
await adapter.send('again').assertReply('Message 2: again').startTest();

const { items } = await plugin.transcriptStore.getTranscriptActivities(
  'test',
  adapter.conversation.conversation.id,
);
console.log(`${items.length} activities stored sealed and read back:`);
for (const activity of items) console.log(`  ${activity.from.role ?? '?'}: ${activity.text}`);

await database.db.dropDatabase();
await database.close();
