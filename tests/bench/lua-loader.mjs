// Node module hook for the bench (run by tsx): `.lua` files import as their text, as esbuild's `text`
// loader does in build.mjs and the vitest plugin does in vitest.config.ts.
import { readFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.lua')) return nextLoad(url, context);
  return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(readFileSync(new URL(url), 'utf8'))};` };
}
