'use strict';
// Bundled in place of body-parser. keyward reads request bodies itself (shared/runtime/body.ts);
// express only re-exports these parsers, which are never mounted. A call would be a bug.
function notBundled() {
  throw new Error('body-parser is not bundled: keyward reads request bodies itself');
}
module.exports = { json: notBundled, raw: notBundled, text: notBundled, urlencoded: notBundled };
