/**
 * A Redis URL as it may be printed or logged (SPEC §2): its user info (`:password@`, `user:password@`,
 * or a bare `secret@`, which older clients read as a password) becomes `***@`, and so does the value
 * of any query parameter naming a password (ioredis takes `?password=` too). Everything up to the
 * last `@` goes, so a password holding an unencoded `@` or `/` is hidden whole; text that is not a
 * URL is masked the same way rather than passed through.
 */
export function maskRedisUrl(url: string): string {
  const schemeEnd = url.indexOf('://');
  const authorityStart = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const at = url.lastIndexOf('@');
  const masked = at >= authorityStart ? `${url.slice(0, authorityStart)}***${url.slice(at)}` : url;
  return masked.replace(/([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi, '$1***');
}
