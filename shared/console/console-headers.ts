/**
 * The console's content security policy (SPEC §13): its own scripts, styles and images only, no
 * inline script or style, requests to keyward's own origin only, never framed.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with the page and every asset. */
export const consoleSecurityHeaders: Record<string, string> = {
  'content-security-policy': consoleContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // For browsers that predate frame-ancestors.
  'x-frame-options': 'DENY',
};

/** The page names the current assets: revalidated on every load, so a deploy shows at once. */
export const pageCacheControl = 'no-cache';

/** An asset's name changes with its content: cached for a year and never revalidated. */
export const assetCacheControl = 'public, max-age=31536000, immutable';
