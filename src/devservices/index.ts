export {
  localAwsAccount,
  localAwsRegion,
  type LocalServices,
  startEmbeddedDatabase,
  startFerretDb,
  startLocalAws,
  startLocalKms,
  startMoto,
} from './local-services.js';
export { freePort, portOpen, type RunningService } from './service-process.js';
export { projectRoot, Tool, toolPath } from './tools.js';
