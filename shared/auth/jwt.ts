import { randomUUID } from 'node:crypto';
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
}

const ClaimsSchema = z.object({
  sub: z.string().min(1),
  tenant_id: z.string().regex(tenantIdPattern),
  role: z.enum(roles),
  jti: z.string().min(1),
  exp: z.number(),
});

/** Signs with the first configured key, verifies with any of them (matched by `kid`), HMAC only. */
export interface Keyring {
  sign(subject: { username: string; tenantId: string; role: Role }, nowMs: number): Promise<AccessToken>;
  verify(token: string, nowMs: number): Promise<TokenClaims>;
}

export function createKeyring(config: Config['jwt']): Keyring {
  const encoder = new TextEncoder();
  const keys = new Map(config.signingKeys.map((key) => [key.kid, encoder.encode(key.secret)]));
  const [signer] = config.signingKeys;
  if (!signer) throw new Error('no JWT signing key');
  const signingKey = encoder.encode(signer.secret);
  const keyFor = (header: JWTHeaderParameters) => {
    const key = header.kid === undefined ? undefined : keys.get(header.kid);
    if (!key) throw new AppError('invalid_token');
    return key;
  };

  return {
    async sign({ username, tenantId, role }, nowMs) {
      const iat = Math.floor(nowMs / 1000);
      const accessToken = await new SignJWT({ tenant_id: tenantId, role, scope: scopesOfRole(role).join(' ') })
        .setProtectedHeader({ alg: config.algorithm, kid: signer.kid, typ: 'JWT' })
        .setSubject(username)
        .setIssuedAt(iat)
        .setExpirationTime(iat + config.ttlSeconds)
        .setIssuer(config.issuer)
        .setAudience(config.audience)
        .setJti(randomUUID())
        .sign(signingKey);
      return { accessToken, expiresIn: config.ttlSeconds };
    },

    async verify(token, nowMs) {
      try {
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: [config.algorithm],
          issuer: config.issuer,
          audience: config.audience,
          currentDate: new Date(nowMs),
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        });
        const claims = ClaimsSchema.parse(payload);
        return {
          username: claims.sub,
          tenantId: claims.tenant_id,
          role: claims.role,
          jti: claims.jti,
          expiresAtMs: claims.exp * 1000,
        };
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new AppError('token_expired');
        throw new AppError('invalid_token');
      }
    },
  };
}
