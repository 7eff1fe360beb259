/**
 * Cryptographic core: the envelope format of sealed values, its additional authenticated data
 * and the cache of plaintext data keys. Knows nothing about tenants' keys or storage.
 */
export { checkRecordContext, encodeAad, maxContextBytes, type RecordContext } from './aad.js';
export { DekCache, type DekCacheOptions, type DekCacheStats } from './dek-cache.js';
export {
  type DataKey,
  type EnvelopeHeader,
  envelopeHeaderBytes,
  envelopeOverheadBytes,
  envelopeVersion,
  newDekId,
  openValue,
  readHeader,
  sealValue,
} from './envelope.js';
