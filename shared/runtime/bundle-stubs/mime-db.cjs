'use strict';
// Bundled in place of mime-db (150 KiB, every MIME type). keyward answers JSON with its own
// headers (shared/runtime/server.ts); express's file and type helpers that look MIME types up
// (res.sendFile, res.type, express.static) are never called. These entries keep a stray lookup sane.
module.exports = {
  'application/json': { source: 'iana', charset: 'UTF-8', compressible: true, extensions: ['json'] },
  'application/octet-stream': { source: 'iana', compressible: false, extensions: ['bin'] },
  'text/html': { source: 'iana', compressible: true, extensions: ['html', 'htm'] },
  'text/plain': { source: 'iana', compressible: true, extensions: ['txt'] },
};
