/**
 * Set by the bundle loader (shared/runtime/bundle-loader.mjs) while build.mjs primes a bundle's V8
 * code cache: the modules are evaluated (so their code is compiled and cached) but an entry point
 * must not read config, connect to Redis or listen.
 */
export function primingCodeCache(): boolean {
  return (globalThis as { __keywardPrimingCodeCache?: boolean }).__keywardPrimingCodeCache === true;
}
