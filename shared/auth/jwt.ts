import { randomUUID, webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import * as z from 'zod';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { tenantIdPattern } from '../tenancy/tenant-id.js';
import { roles, scopesOfRole, type Role } from './scopes.js';

export interface AccessToken {
  accessToken: string;
  expiresIn: number;
}

export interface TokenClaims {
  username: string;
  tenantId: string;
  role: Role;
  jti: string;
  expiresAtMs: number;
  /** The user's token generation when it was issued (claim `gen`); tokens of older generations are refused. */
  tokenGen?: string;
}

const ClaimsSchema = z.object({
  sub: z.string().min(1),
  tenant_id: z.string().regex(tenantIdPattern),
  role: z.enum(roles),
  jti: z.string().min(1),
  exp: z.number(),
  gen: z.string().max(64).optional(),
});

/**
 * Signs with the first configured key, verifies with any of them (matched by `kid`), HMAC only.
 * A verified token is remembered (bounded, per process) so a client's next requests with it cost no
 * signature check: only its `exp` is checked again. Revocation and account state are checked in
 * Redis on every request regardless (shared/redis/lua/lib/guard.lua).
 */
export interface Keyring {
  sign(subject: { username: string; tenantId: string; role: Role; tokenGen: string }, nowMs: number): Promise<AccessToken>;
  verify(token: string, nowMs: number): Promise<TokenClaims>;
}

const verifiedCacheSize = 10_000;

export function createKeyring(config: Config['jwt']): Keyring {
  const [signer] = config.signingKeys;
  if (!signer) throw new Error('no JWT signing key');
  // Each secret becomes a CryptoKey once, on first use, instead of on every signature check.
  const hash = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' }[config.algorithm];
  const imported = new Map<string, Promise<webcrypto.CryptoKey>>();
  const cryptoKey = (kid: string, secret: string) => {
    let key = imported.get(kid);
    if (!key) {
      key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash }, false, ['sign', 'verify']);
      imported.set(kid, key);
    }
    return key;
  };
  const secrets = new Map(config.signingKeys.map((key) => [key.kid, key.secret]));
  const keyFor = (header: JWTHeaderParameters) => {
    const secret = header.kid === undefined ? undefined : secrets.get(header.kid);
    if (secret === undefined || header.kid === undefined) throw new AppError('invalid_token');
    return cryptoKey(header.kid, secret);
  };
  const verified = new Map<string, TokenClaims>();

  return {
    async sign({ username, tenantId, role, tokenGen }, nowMs) {
      const iat = Math.floor(nowMs / 1000);
      const accessToken = await new SignJWT({ tenant_id: tenantId, role, scope: scopesOfRole(role).join(' '), gen: tokenGen })
        .setProtectedHeader({ alg: config.algorithm, kid: signer.kid, typ: 'JWT' })
        .setSubject(username)
        .setIssuedAt(iat)
        .setExpirationTime(iat + config.ttlSeconds)
        .setIssuer(config.issuer)
        .setAudience(config.audience)
        .setJti(randomUUID())
        .sign(await cryptoKey(signer.kid, signer.secret));
      return { accessToken, expiresIn: config.ttlSeconds };
    },

    async verify(token, nowMs) {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAtMs > nowMs) return known;
        verified.delete(token);
        throw new AppError('token_expired');
      }
      try {
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: [config.algorithm],
          issuer: config.issuer,
          audience: config.audience,
          currentDate: new Date(nowMs),
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        });
        const claims = ClaimsSchema.parse(payload);
        const result: TokenClaims = { username: claims.sub, tenantId: claims.tenant_id, role: claims.role, jti: claims.jti, expiresAtMs: claims.exp * 1000 };
        if (claims.gen !== undefined) result.tokenGen = claims.gen;
        // Oldest first out: a Map keeps insertion order.
        if (verified.size >= verifiedCacheSize) verified.delete(verified.keys().next().value ?? '');
        verified.set(token, result);
        return result;
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new AppError('token_expired');
        throw new AppError('invalid_token');
      }
    },
  };
}
