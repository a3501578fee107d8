// `npm run bench`: every figure issue 15 asks for, as ratios to baselines measured in the same run.
//   npm run bench                 3 rounds of 10 s per load scenario, 40 replay rounds, 100k keys (~15 min)
//   npm run bench -- --quick      1 round of 3 s, 12 replay rounds, 20k keys (~3 min)
// Prints the targets table and the figures' tables, and writes them as JSON under .data/bench/.
// The scripts' .lua sources are imported as text (as build.mjs bundles them): the hook is registered
// before anything that imports them is loaded.
import { register } from 'node:module';

register('./lua-loader.mjs', import.meta.url);
const { main } = await import('./bench.js');

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
