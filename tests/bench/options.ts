// The bench's settings: a full run (`npm run bench`, ~15 min) or a quick one (`-- --quick`, ~3 min).
export const quick = process.argv.includes('--quick');

export const options = {
  quick,
  /** Rounds of every load scenario, interleaved, and the seconds each scenario runs per round. */
  rounds: quick ? 1 : 3,
  seconds: quick ? 3 : 10,
  connections: 50,
  coldStartRuns: quick ? 5 : 20,
  /** Events the offload throughput figure ships (over 10 tenants). */
  offloadEvents: quick ? 20_000 : 100_000,
  /** Keys and items in the large tenant of the growth figure (the small one holds one of each). */
  growthSize: quick ? 20_000 : 100_000,
  /** Interleaved rounds of the script replay (300 calls per script per round). */
  replayRounds: quick ? 12 : 40,
  /** Records created for the memory figures (keys, items; tenants are fewer: each is a user and a bcrypt hash). */
  memoryRecords: quick ? 300 : 1000,
  memoryTenants: quick ? 50 : 200,
} as const;

export type BenchOptions = typeof options;

export const functionNames = ['token', 'users', 'data', 'api-keys', 'audit', 'audit-offload', 'console'] as const;

const began = performance.now();

export function log(text: string): void {
  console.log(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${text}`);
}
