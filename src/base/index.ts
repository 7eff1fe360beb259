export { type Clock, ManualClock, systemClock } from './clock.js';
export { type Config, configSchema, loadConfig } from './config.js';
export {
  ByokError,
  type ByokErrorOptions,
  decryptFailed,
  ErrorCode,
  Fault,
  isByokError,
  NotSupported,
  toByokError,
} from './errors.js';
export { capped, createLogger, type Logger, redactPaths, silentLogger } from './log.js';
