/**
 * Sealing of bot data: which key seals what, and the envelope encryption that does it. Features
 * store bot data through a {@link Sealer}; hosts build one {@link EnvelopeSealer} per process.
 */
export { defaultKeyBinding, defaultKeyName, DefaultKeyResolver } from './default-resolver.js';
export { rewrapDataKeys, type RewrapOptions, type RewrapProgress } from './rewrap.js';
export {
  dataKeyContext,
  dataKeyPurpose,
  EnvelopeSealer,
  type EnvelopeSealerOptions,
  type SealerMetrics,
} from './sealer.js';
export type {
  DataOwner,
  KeyBinding,
  KeyResolver,
  Provenance,
  Sealed,
  Sealer,
  SealScope,
} from './types.js';
