import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../shared/gateway/redis-discovery.js';
import { prng } from './prng.js';

export { prng };

/**
 * A STAND-IN for Grafana Loki, written for the tests: a real HTTP server on a free port, strict to
 * Loki's documented HTTP contract for what keyward uses (docs: grafana.com/docs/loki/latest/reference/loki-http-api):
 *
 * - `POST /loki/api/v1/push`, JSON (`Content-Type: application/json`): `{"streams": [{"stream": {labels},
 *   "values": [["<ns epoch as a string of digits>", "<line>"(, {structured metadata})], ...]}]}`.
 *   With multi-tenancy on (`auth_enabled: true`) a request without `X-Scope-OrgID` is 401 `no org id`.
 *   Label names must match `[a-zA-Z_][a-zA-Z0-9_]*` (and not start with `__`); a number as a
 *   timestamp is a 400. Entries are validated one by one like Loki's distributor: the valid ones are
 *   stored and the request answers 400 with the last error (`Max entry size ... exceeded`,
 *   `... has timestamp too old`, `entry too far behind`, or a test-injected refusal); otherwise 204.
 *   An entry with the same labels, timestamp and line as a stored one is dropped as a duplicate.
 *   The per-tenant ingestion rate (4 MB/s, 6 MB burst by default) is enforced with 429.
 * - `GET /loki/api/v1/query_range` for stream selectors with `=` matchers (and `|= "text"` line filters): `start` inclusive, `end`
 *   exclusive (ns epochs or RFC 3339), `limit` (default 100, at most 5000), `direction`
 *   (default backward), a range of at most 721h; answers `{"status":"success","data":{"resultType":"streams",...}}`.
 *
 * Faults are switched on by the tests: down (connections refused), random 429/503, a fixed status,
 * slow answers (the batch is stored, the answer comes late), refusing chosen lines.
 */
export interface StoredEntry {
  org: string;
  labels: Record<string, string>;
  ts: string;
  line: string;
}

export type Fault =
  | { kind: 'none' }
  /** Before looking at a push: 429 with probability p429, 503 with p503 (seeded, so runs repeat). */
  | { kind: 'flaky'; p429: number; p503: number }
  /** Every push answered with this status and body, nothing stored. */
  | { kind: 'status'; status: number; body?: string }
  /** Pushes are stored, then answered after `delayMs` (a Loki slower than the client's timeout). */
  | { kind: 'slow'; delayMs: number };

export interface PushRecord {
  org: string | null;
  status: number;
  /** The label sets of the request's stream objects, as JSON. */
  labelSets: string[];
  entries: number;
  bytes: number;
}

export interface StandInStats {
  pushes: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  byStatus: Record<number, number>;
  queries: number;
}

export interface LokiStandInOptions {
  /** Credentials the stand-in demands (an authenticating proxy in front of Loki, as Loki's docs advise). */
  auth?: { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };
  /** Seed of the fault dice. */
  seed?: number;
  /** Per-org ingestion limit; null turns it off. Loki's defaults: 4 MB/s, 6 MB burst. */
  rateLimit?: { bytesPerSecond: number; burstBytes: number } | null;
  /** Keep every push's raw body (for tests that look at the wire format). */
  recordBodies?: boolean;
  /** Keep every push's summary. */
  recordPushes?: boolean;
}

export interface LokiStandIn {
  url: string;
  port: number;
  fault: Fault;
  /** Refuses an entry (400) when this returns a reason; the rest of the push is stored, as Loki does. */
  rejectLine: ((line: string) => string | null) | null;
  stats: StandInStats;
  /** Every query_range `query` received, in order. */
  queryLog: string[];
  pushes: PushRecord[];
  bodies: string[];
  /** Stored entries (after de-duplication), of one org or of all. */
  entries(org?: string): StoredEntry[];
  /** Stops listening and drops open connections: clients get refused connections. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

const maxLineBytes = 256 * 1024;
const rejectOldSamplesMaxAgeNs = 168n * 3600n * 1_000_000_000n;
const creationGracePeriodNs = 10n * 60n * 1_000_000_000n;
/** Out-of-order writes are accepted back to max_chunk_age / 2 (1h) behind a stream's newest entry. */
const outOfOrderWindowNs = 3600n * 1_000_000_000n;
const maxQueryLengthNs = 721n * 3600n * 1_000_000_000n;
const maxEntriesLimit = 5000;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const orgIdPattern = /^[A-Za-z0-9!\-_.*'()]{1,150}$/;

export async function startLokiStandIn(options: LokiStandInOptions = {}): Promise<LokiStandIn> {
  const port = await freePort();
  const random = prng(options.seed ?? 1);
  const stored = new Map<string, StoredEntry>();
  const newestByStream = new Map<string, bigint>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const rateLimit = options.rateLimit === undefined ? { bytesPerSecond: 4_000_000, burstBytes: 6_000_000 } : options.rateLimit;
  let server: Server | null = null;

  const standIn: LokiStandIn = {
    url: `http://127.0.0.1:${port}`,
    port,
    fault: { kind: 'none' },
    rejectLine: null,
    stats: { pushes: 0, accepted: 0, duplicates: 0, rejected: 0, byStatus: {}, queries: 0 },
    queryLog: [],
    pushes: [],
    bodies: [],
    entries(org) {
      const all = [...stored.values()];
      return org === undefined ? all : all.filter((entry) => entry.org === org);
    },
    async down() {
      if (!server) return;
      const closing = server;
      server = null;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
    async up() {
      if (server) return;
      server = createServer((request, response) => void handle(request, response));
      server.keepAliveTimeout = 5000;
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async close() {
      await standIn.down();
    },
  };

  function answer(response: ServerResponse, status: number, body = '', type = 'text/plain; charset=utf-8'): void {
    if (response.destroyed) return;
    response.writeHead(status, body ? { 'content-type': type } : {});
    response.end(body);
  }

  /** Loki sits behind an authenticating proxy when credentials are configured; the org header is Loki's own check. */
  function authorized(request: IncomingMessage): boolean {
    const auth = options.auth;
    if (!auth) return true;
    const header = request.headers.authorization ?? '';
    if (auth.kind === 'bearer') return header === `Bearer ${auth.token}`;
    return header === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const body = await readBody(request);
    if (body === null) return; // the client went away mid-request: nothing happened
    if (!authorized(request)) {
      standIn.stats.byStatus[401] = (standIn.stats.byStatus[401] ?? 0) + 1;
      return answer(response, 401, 'unauthorized\n');
    }
    const org = request.headers['x-scope-orgid'];
    if (request.method === 'POST' && url.pathname === '/loki/api/v1/push') return push(typeof org === 'string' ? org : null, request, body, response);
    if (request.method === 'GET' && url.pathname === '/loki/api/v1/query_range') return queryRange(typeof org === 'string' ? org : null, url, response);
    answer(response, 404, '404 page not found\n');
  }

  async function push(org: string | null, request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    standIn.stats.pushes += 1;
    const record: PushRecord = { org, status: 0, labelSets: [], entries: 0, bytes: body.length };
    const finish = (status: number, text = '') => {
      record.status = status;
      standIn.stats.byStatus[status] = (standIn.stats.byStatus[status] ?? 0) + 1;
      if (options.recordPushes) standIn.pushes.push(record);
      answer(response, status, text);
    };
    if (!org) return finish(401, 'no org id\n');
    if (!orgIdPattern.test(org) || org === '.' || org === '..') return finish(400, 'tenant ID contains unsupported character\n');
    const fault = standIn.fault;
    if (fault.kind === 'status') return finish(fault.status, fault.body ?? `status ${fault.status}\n`);
    if (fault.kind === 'flaky') {
      const roll = random();
      if (roll < fault.p429) return finish(429, `Ingestion rate limit exceeded for user ${org} (stand-in fault)\n`);
      if (roll < fault.p429 + fault.p503) return finish(503, 'ingester unavailable (stand-in fault)\n');
    }
    if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return finish(400, 'loghttp: a protobuf push body could not be decoded (send Content-Type: application/json)\n');
    }
    if (options.recordBodies) standIn.bodies.push(body.toString('utf8'));

    let parsed;
    try {
      parsed = parsePushBody(body.toString('utf8'));
    } catch (error) {
      return finish(400, `loghttp: ${(error as Error).message}\n`);
    }
    record.labelSets = parsed.map((stream) => JSON.stringify(stream.labels));
    record.entries = parsed.reduce((sum, stream) => sum + stream.values.length, 0);

    const nowNs = BigInt(Date.now()) * 1_000_000n;
    let lastError: string | null = null;
    const valid: { stream: ParsedStream; streamKey: string; ts: string; tsNs: bigint; line: string }[] = [];
    let validBytes = 0;
    for (const stream of parsed) {
      const labelsText = labelString(stream.labels);
      const streamKey = `${org}\u0000${labelsText}`;
      for (const [ts, line] of stream.values) {
        const tsNs = BigInt(ts);
        const bytes = Buffer.byteLength(line);
        const refusal = standIn.rejectLine?.(line) ?? null;
        let error: string | null = null;
        if (bytes > maxLineBytes) error = `Max entry size '${maxLineBytes}' bytes exceeded for stream '${labelsText}' while adding an entry with length '${bytes}' bytes`;
        else if (tsNs < nowNs - rejectOldSamplesMaxAgeNs) error = `entry for stream '${labelsText}' has timestamp too old: ${isoOfNs(tsNs)}, oldest acceptable timestamp is: ${isoOfNs(nowNs - rejectOldSamplesMaxAgeNs)}`;
        else if (tsNs > nowNs + creationGracePeriodNs) error = `entry for stream '${labelsText}' has timestamp too new: ${isoOfNs(tsNs)}`;
        else if (refusal) error = refusal;
        else {
          const newest = newestByStream.get(streamKey);
          if (newest !== undefined && tsNs < newest - outOfOrderWindowNs) {
            error = `entry too far behind, entry timestamp is: ${isoOfNs(tsNs)}, oldest acceptable timestamp is: ${isoOfNs(newest - outOfOrderWindowNs)}`;
          }
        }
        if (error) {
          lastError = error;
          standIn.stats.rejected += 1;
          continue;
        }
        valid.push({ stream, streamKey, ts, tsNs, line });
        validBytes += bytes;
      }
    }
    if (rateLimit && valid.length > 0 && !takeTokens(org, validBytes)) {
      return finish(429, `Ingestion rate limit exceeded for user ${org} (limit: ${rateLimit.bytesPerSecond} bytes/sec) while attempting to ingest '${valid.length}' lines totaling '${validBytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n`);
    }
    for (const entry of valid) {
      const key = `${entry.streamKey}\u0000${entry.ts}\u0000${entry.line}`;
      if (stored.has(key)) {
        standIn.stats.duplicates += 1;
        continue;
      }
      stored.set(key, { org, labels: entry.stream.labels, ts: entry.ts, line: entry.line });
      standIn.stats.accepted += 1;
      const newest = newestByStream.get(entry.streamKey);
      if (newest === undefined || entry.tsNs > newest) newestByStream.set(entry.streamKey, entry.tsNs);
    }
    if (fault.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (lastError) return finish(400, `${lastError}\n`);
    finish(204);
  }

  function takeTokens(org: string, bytes: number): boolean {
    if (!rateLimit) return true;
    const now = performance.now();
    const bucket = buckets.get(org) ?? { tokens: rateLimit.burstBytes, at: now };
    bucket.tokens = Math.min(rateLimit.burstBytes, bucket.tokens + ((now - bucket.at) / 1000) * rateLimit.bytesPerSecond);
    bucket.at = now;
    buckets.set(org, bucket);
    if (bucket.tokens < bytes) return false;
    bucket.tokens -= bytes;
    return true;
  }

  function queryRange(org: string | null, url: URL, response: ServerResponse): void {
    standIn.stats.queries += 1;
    if (!org) return answer(response, 401, 'no org id\n');
    const params = url.searchParams;
    standIn.queryLog.push(params.get('query') ?? '');
    let matchers: [string, string][];
    let lineFilters: string[];
    try {
      ({ matchers, lineFilters } = parseQuery(params.get('query') ?? ''));
    } catch (error) {
      return answer(response, 400, `parse error: ${(error as Error).message}\n`);
    }
    const limit = params.has('limit') ? Number(params.get('limit')) : 100;
    if (!Number.isInteger(limit) || limit <= 0) return answer(response, 400, 'invalid limit\n');
    if (limit > maxEntriesLimit) return answer(response, 400, `max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${maxEntriesLimit})\n`);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const end = params.has('end') ? parseTime(params.get('end') ?? '') : nowNs;
    if (end === null) return answer(response, 400, 'invalid end\n');
    const start = params.has('start') ? parseTime(params.get('start') ?? '') : end - 3600n * 1_000_000_000n;
    if (start === null) return answer(response, 400, 'invalid start\n');
    if (end < start) return answer(response, 400, 'end timestamp must not be before or equal to start time\n');
    if (end - start > maxQueryLengthNs) return answer(response, 400, `the query time range exceeds the limit (query length: ${(end - start) / 1_000_000_000n}s, limit: 721h)\n`);
    const direction = (params.get('direction') ?? 'backward').toLowerCase();
    if (direction !== 'backward' && direction !== 'forward') return answer(response, 400, 'invalid direction\n');

    const selected = standIn
      .entries(org)
      .filter((entry) => matchers.every(([name, value]) => entry.labels[name] === value))
      .filter((entry) => lineFilters.every((text) => entry.line.includes(text)))
      .map((entry) => ({ entry, ns: BigInt(entry.ts) }))
      .filter(({ ns }) => ns >= start && ns < end)
      .sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
    if (direction === 'backward') selected.reverse();
    const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
    for (const { entry } of selected.slice(0, limit)) {
      const key = labelString(entry.labels);
      let stream = streams.get(key);
      if (!stream) streams.set(key, (stream = { stream: entry.labels, values: [] }));
      stream.values.push([entry.ts, entry.line]);
    }
    answer(response, 200, JSON.stringify({ status: 'success', data: { resultType: 'streams', result: [...streams.values()], stats: {} } }), 'application/json');
  }

  await standIn.up();
  return standIn;
}

interface ParsedStream {
  labels: Record<string, string>;
  values: [string, string][];
}

/** The push body's structure, as Loki's JSON decoder requires it (a failure rejects the whole request). */
function parsePushBody(text: string): ParsedStream[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('body is not valid JSON');
  }
  if (!isObject(body) || !Array.isArray(body.streams)) throw new Error('body has no "streams" array');
  return body.streams.map((stream: unknown, index: number) => {
    if (!isObject(stream) || !isObject(stream.stream)) throw new Error(`stream ${index} has no "stream" labels object`);
    const labels: Record<string, string> = {};
    const names = Object.keys(stream.stream);
    if (names.length === 0) throw new Error('error at least one label pair is required per stream');
    for (const name of names) {
      const value = stream.stream[name];
      if (!labelName.test(name) || name.startsWith('__')) throw new Error(`invalid label name '${name}'`);
      if (typeof value !== 'string') throw new Error(`label ${name} has a value that is not a string`);
      labels[name] = value;
    }
    if (!Array.isArray(stream.values)) throw new Error(`stream ${index} has no "values" array`);
    const values = stream.values.map((value: unknown): [string, string] => {
      if (!Array.isArray(value) || value.length < 2 || value.length > 3) throw new Error('each value must be [timestamp, line] or [timestamp, line, metadata]');
      const [ts, line, metadata] = value as unknown[];
      if (typeof ts !== 'string' || !/^\d{1,19}$/.test(ts)) throw new Error(`timestamp must be a string of nanoseconds, got ${JSON.stringify(ts)}`);
      if (typeof line !== 'string') throw new Error('log line must be a string');
      if (metadata !== undefined && (!isObject(metadata) || Object.values(metadata).some((item) => typeof item !== 'string'))) {
        throw new Error('structured metadata must be an object of strings');
      }
      return [ts, line];
    });
    return { labels, values };
  });
}

/**
 * A stream selector followed by any number of `|= "text"` line filters (LogQL's "line contains"):
 * what keyward sends; any other pipeline stage is refused.
 */
function parseQuery(query: string): { matchers: [string, string][]; lineFilters: string[] } {
  const closing = query.indexOf('}');
  if (closing === -1) throw new Error(`not a stream selector: ${query}`);
  const matchers = parseSelector(query.slice(0, closing + 1));
  const lineFilters: string[] = [];
  const filter = /\s*\|=\s*"((?:[^"\\]|\\.)*)"/y;
  const rest = query.slice(closing + 1);
  let consumed = 0;
  for (let found = filter.exec(rest); found; found = filter.exec(rest)) {
    lineFilters.push((found[1] ?? '').replace(/\\(.)/g, '$1'));
    consumed = filter.lastIndex;
  }
  if (rest.slice(consumed).trim() !== '') throw new Error(`unsupported pipeline: ${rest.slice(consumed)}`);
  return { matchers, lineFilters };
}

/** `{name="value", ...}` with `=` matchers only (what keyward sends); anything else is refused. */
function parseSelector(query: string): [string, string][] {
  const match = /^\s*\{(.*)\}\s*$/s.exec(query);
  if (!match) throw new Error(`not a stream selector: ${query}`);
  const matchers: [string, string][] = [];
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  const inner = match[1] ?? '';
  let consumed = 0;
  for (let found = pattern.exec(inner); found; found = pattern.exec(inner)) {
    matchers.push([found[1] ?? '', (found[2] ?? '').replace(/\\(.)/g, '$1')]);
    consumed = pattern.lastIndex;
    if (found[3] === '') break;
  }
  if (matchers.length === 0 || consumed !== inner.length) throw new Error(`unsupported selector: ${query}`);
  return matchers;
}

/** ns epoch digits, or RFC 3339. */
function parseTime(text: string): bigint | null {
  if (/^\d+$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : BigInt(ms) * 1_000_000n;
}

function labelString(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(', ')}}`;
}

function isoOfNs(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole body, or null when the client went away before sending it all. */
function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(request.complete ? Buffer.concat(chunks) : null));
    request.on('aborted', () => resolve(null));
    request.on('error', () => resolve(null));
  });
}

