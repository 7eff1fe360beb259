export { BotRegistry, type BotRegistryDeps } from './bots.js';
export { type FirstAdmin, type HostOptions, type RunningHost, startHost } from './host.js';
