import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/config.js';
import { findRedis, NoRedisError } from '../gateway/redis-discovery.js';
import { createLogger } from '../logging/logger.js';
import { createLokiClient } from '../loki/loki-client.js';
import { redisReady } from '../redis/client.js';
import { closeServices, createServices } from '../services.js';
import { primingCodeCache } from '../runtime/code-cache.js';
import { exitCodes, runCli } from './cli.js';
import { dropOutputOnceReaderLeaves, exitWhenFlushed, readStdinLine } from './process-streams.js';

/** `npm run admin -- <command>` and the package's `keyward` bin. */
async function main(): Promise<number> {
  dropOutputOnceReaderLeaves();
  const io = {
    out: (text: string) => void process.stdout.write(text),
    err: (text: string) => void process.stderr.write(text),
    // Meant for a pipe or a file; at a terminal it says what is awaited, and does not show what is typed.
    readStdinLine: () => readStdinLine(process.stdin, "the admin's password, then Enter: "),
    env: process.env,
  };
  return runCli(process.argv.slice(2), io, async (work) => {
    const redis = await findRedis(process.env, resolve(process.env.KEYWARD_DATA_DIR ?? '.data'), { start: false });
    const config = loadConfig({ env: { ...process.env, ...redis.env } });
    const logger = createLogger({ level: 'warn', name: 'admin-cli' });
    const services = createServices('admin-cli', config, { logger, lokiClient: createLokiClient });
    try {
      await redisReady(services.redis, 10_000);
      return await work(services);
    } finally {
      await closeServices(services);
    }
  });
}

if (!primingCodeCache()) main()
  .then((code) => exitWhenFlushed(code))
  .catch((error: unknown) => {
    const known = error instanceof ConfigError || error instanceof NoRedisError;
    process.stderr.write(`keyward: ${known ? (error as Error).message : String(error)}\n`);
    return exitWhenFlushed(exitCodes.failed);
  });
