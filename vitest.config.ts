import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

/** Lua scripts are imported as text, as esbuild's `text` loader does in build.mjs. */
const luaAsText: Plugin = {
  name: 'lua-as-text',
  load(id) {
    if (!id.endsWith('.lua')) return null;
    return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
  },
};

/** The suites that exercise Redis through the service: run against every Redis mode. */
const functional = [
  'tests/data.test.ts',
  'tests/auth.test.ts',
  'tests/users.test.ts',
  'tests/api-keys.test.ts',
  'tests/api-key-limits.test.ts',
  'tests/isolation.test.ts',
  'tests/lua-scripts.test.ts',
  'tests/admin-cli.test.ts',
  'tests/tenant-delete.test.ts',
  'tests/identities.test.ts',
  'tests/no-secrets.test.ts',
];

export default defineConfig({
  plugins: [luaAsText],
  test: {
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.ci/results.json' }]],
    // Each project starts its own topology (tests/support/global-setup.ts reads the project's name).
    projects: [
      { extends: true, test: { name: 'standalone', include: ['tests/**/*.test.ts'], exclude: ['tests/failover.test.ts', 'tests/cluster.test.ts'] } },
      { extends: true, test: { name: 'sentinel', include: [...functional, 'tests/failover.test.ts'] } },
      { extends: true, test: { name: 'cluster', include: [...functional, 'tests/cluster.test.ts'] } },
    ],
  },
});
