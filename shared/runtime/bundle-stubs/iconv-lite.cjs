'use strict';
// Bundled in place of iconv-lite (480 KiB). keyward reads request bodies itself
// (shared/runtime/body.ts, UTF-8 only); express's body parsers, the only users of iconv-lite's
// charset decoders, are never called. A call would be a bug, so it fails loudly.
function notBundled() {
  throw new Error('iconv-lite is not bundled: keyward does not use express body parsers');
}
module.exports = { encodingExists: () => false, getDecoder: notBundled, getEncoder: notBundled, decode: notBundled, encode: notBundled };
