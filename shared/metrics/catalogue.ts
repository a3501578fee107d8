/**
 * Every series keyward exports (SPEC §12): name, help, labels, buckets. The metrics modules, the
 * alert rules, the Grafana dashboard and the README's table all read names from here.
 *
 * Labels are bounded by construction: a route's id (never a raw path), a method from a fixed list,
 * a status keyward answers, a verification code, a login outcome, a Lua script's name, an error
 * kind. `tenant` only with METRICS_TENANT_LABELS=true; never a key, a username or a path.
 */

/** Request latency: a cached read answers in about a millisecond, a login's bcrypt in a few hundred. */
const requestBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** One Redis round trip (a script, with its WAIT when there are replicas). */
const redisBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** One offload run: idle in milliseconds, a large backlog up to the run budget (50 s). */
const runBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const series = {
  httpRequests: {
    name: 'keyward_http_requests_total',
    type: 'counter',
    help: 'Requests answered, by function, route id (shared/routes.ts; "none" when no route matched), method and status.',
    labelNames: ['function', 'route', 'method', 'status'],
  },
  httpDuration: {
    name: 'keyward_http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from a request read to its answer, by function and route id.',
    labelNames: ['function', 'route'],
    buckets: requestBuckets,
  },
  verifications: {
    name: 'keyward_api_key_verifications_total',
    type: 'counter',
    help: 'POST /api-keys/verify answers, by code (VALID, NOT_FOUND, EXPIRED, DISABLED, FORBIDDEN, RATE_LIMITED, USAGE_EXCEEDED).',
    labelNames: ['code'],
  },
  logins: {
    name: 'keyward_logins_total',
    type: 'counter',
    help: 'POST /token attempts, by outcome: success, failed (wrong password or unknown user), throttled, disabled (user or tenant).',
    labelNames: ['outcome'],
  },
  rateLimited: {
    name: 'keyward_rate_limited_total',
    type: 'counter',
    help: "Requests refused with 429 rate_limited: the calling API key was over its rate limit.",
    labelNames: [],
  },
  usageExceeded: {
    name: 'keyward_usage_exceeded_total',
    type: 'counter',
    help: "Requests refused with 429 usage_exceeded: the calling API key's quota was spent.",
    labelNames: [],
  },
  redisDuration: {
    name: 'keyward_redis_command_duration_seconds',
    type: 'histogram',
    help: "One Redis round trip of an operation, by its Lua script's name (operation), failed ones included.",
    labelNames: ['operation'],
    buckets: redisBuckets,
  },
  redisErrors: {
    name: 'keyward_redis_errors_total',
    type: 'counter',
    help: 'Redis failures, by kind: connection, timeout, unavailable (READONLY, LOADING, MASTERDOWN, ...), unconfirmed (WAIT short of replicas), redirected, script.',
    labelNames: ['kind'],
  },
  redisReplicas: {
    name: 'keyward_redis_replicas',
    type: 'gauge',
    help: 'Replicas in sync with the Redis master this process writes to (on Cluster: the fewest any slot has).',
    labelNames: [],
  },
  bcryptQueueDepth: {
    name: 'keyward_bcrypt_queue_depth',
    type: 'gauge',
    help: 'bcrypt hashes and comparisons waiting or running in this process.',
    labelNames: [],
  },
  auditShipped: {
    name: 'keyward_audit_shipped_total',
    type: 'counter',
    help: 'Audit events the sink (Loki, or the local files) stored and the offload removed from Redis.',
    labelNames: [],
  },
  auditRetries: {
    name: 'keyward_audit_push_retries_total',
    type: 'counter',
    help: 'Pushes to the sink tried again after a 429, 5xx, timeout or refused connection.',
    labelNames: [],
  },
  auditDeadLettered: {
    name: 'keyward_audit_dead_lettered_total',
    type: 'counter',
    help: 'Audit events the sink refused (Loki 400), moved to their tenant\'s dead-letter stream.',
    labelNames: [],
  },
  keyExpirations: {
    name: 'keyward_key_expirations_total',
    type: 'counter',
    help: 'key_expiration events recorded for data items whose TTL ran out.',
    labelNames: [],
  },
  auditBacklog: {
    name: 'keyward_audit_backlog_events',
    type: 'gauge',
    help: 'Audit events waiting in Redis (GET /backlog): the total without a tenant label; with METRICS_TENANT_LABELS=true also the 20 largest tenants.',
    labelNames: ['tenant'],
  },
  auditDeadLetters: {
    name: 'keyward_audit_dead_letter_events',
    type: 'gauge',
    help: "Audit events held in the tenants' dead-letter streams (GET /backlog's dead_letters).",
    labelNames: [],
  },
  auditOldestPending: {
    name: 'keyward_audit_oldest_pending_age_seconds',
    type: 'gauge',
    help: 'Age of the oldest audit event waiting in Redis, over all tenants (0 when none waits).',
    labelNames: [],
  },
  auditRunDuration: {
    name: 'keyward_audit_offload_run_duration_seconds',
    type: 'histogram',
    help: 'Duration of each audit offload run.',
    labelNames: [],
    buckets: runBuckets,
  },
  auditLastRun: {
    name: 'keyward_audit_offload_last_run_timestamp_seconds',
    type: 'gauge',
    help: 'When this process last finished an offload run (Unix time; 0 before its first).',
    labelNames: [],
  },
} as const;

export type SeriesKey = keyof typeof series;

/**
 * The codes of a verification (SPEC §6), each made at 0. Listed here rather than read from
 * shared/api-keys/schemas.ts: that module builds zod schemas, which every function would then load
 * at start. A test checks the two lists agree; a code missing here is still counted from its first use.
 */
export const verificationCodes = ['VALID', 'NOT_FOUND', 'EXPIRED', 'DISABLED', 'FORBIDDEN', 'RATE_LIMITED', 'USAGE_EXCEEDED'] as const;

/** The label added to the counters that may carry one (METRICS_TENANT_LABELS=true). */
export const tenantLabel = 'tenant';

/** How many tenants keyward_audit_backlog_events names, largest backlog first. */
export const backlogTopTenants = 20;
