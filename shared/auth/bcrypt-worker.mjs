// A worker thread for bcrypt: hashing (deliberately slow) runs here, off the event loop that
// serves requests, so logins never stall health checks or other requests. Used by passwords.ts;
// build.mjs bundles it beside each function's index.js.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

parentPort?.on('message', ({ id, op, password, arg }) => {
  try {
    const result = op === 'hash' ? bcrypt.hashSync(password, arg) : bcrypt.compareSync(password, arg);
    parentPort?.postMessage({ id, result });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
