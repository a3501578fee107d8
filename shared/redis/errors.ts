/** Server replies that mean "not now" (failover, loading, demoted master), wherever a script wraps them. */
const unavailableReplies = ['READONLY', 'LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'NOREPLICAS'];

/** ioredis's own messages for a connection, node or cluster that cannot serve right now. */
const unavailableMessages = [
  'Connection is closed',
  'Connection is aborted',
  'Connection is discarded',
  'Command aborted due to connection close',
  'Command timed out',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'All sentinels are unreachable',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Node is disconnected',
  'No master node is available',
  'Cluster is disconnected',
  'Cluster is ended',
  "Cluster isn't ready",
  'Too many Cluster redirections',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
];

/** True when an error means Redis could not be reached or could not serve, rather than a bug of ours. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const message = error.message;
  return unavailableReplies.some((reply) => message.startsWith(reply) || message.includes(` ${reply} `) || message.includes(`-${reply}`)) || unavailableMessages.some((text) => message.includes(text));
}
