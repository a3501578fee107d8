const unavailableReplies = ['READONLY', 'LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'NOREPLICAS'];
const unavailableMessages = [
  'Connection is closed',
  'Command timed out',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'All sentinels are unreachable',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'connect ECONNREFUSED',
  'connect ETIMEDOUT',
];

/** True when an error means Redis could not be reached or could not serve, rather than a bug of ours. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const message = error.message;
  return (
    unavailableReplies.some((reply) => message.startsWith(reply)) ||
    unavailableMessages.some((text) => message.includes(text))
  );
}
