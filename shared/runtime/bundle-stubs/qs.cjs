'use strict';
// Bundled in place of qs. keyward parses query strings itself (shared/runtime/respond.ts); express
// needs qs only for its "extended" query parser, which keyward never asks for. A call would be a bug.
function notBundled() {
  throw new Error('qs is not bundled: keyward parses query strings itself');
}
module.exports = { parse: notBundled, stringify: notBundled };
