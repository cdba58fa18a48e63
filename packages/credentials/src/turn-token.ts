import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

// A turn's credential for the proxy: `wtt1.<claims>.<signature>`, both base64url, the signature
// an HMAC-SHA256 of the claims part under PROXY_TOKEN_SECRET. The worker mints one per turn
// attempt and hands it to the runner with the turn's input; only the proxy and the worker know
// the secret. It names the tenant, so a sandbox can spend only its own tenant's budget, and the
// turn attempt, which the proxy checks is still running before every call: the token opens the
// model only while its turn runs. The expiry is a backstop behind that check.

const PREFIX = 'wtt1';

const claimsSchema = z.strictObject({
  /** tenant id */
  t: z.string().regex(/^ten_[0-7][0-9a-hjkmnp-tv-z]{25}$/),
  /** sandbox id */
  s: z.string().min(1).max(100),
  /** turn id */
  u: z.string().min(1).max(100),
  /** turn attempt */
  a: z.number().int().positive(),
  /** expiry, unix seconds */
  e: z.number().int().positive(),
});

export interface TurnTokenClaims {
  tenantId: string;
  sandboxId: string;
  turnId: string;
  attempt: number;
  /** Unix seconds. */
  expiresAt: number;
}

export type TurnTokenCheck = { ok: true; claims: TurnTokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

const sign = (secret: string, body: string) => createHmac('sha256', secret).update(`${PREFIX}.${body}`).digest();

export function mintTurnToken(secret: string, claims: TurnTokenClaims): string {
  const { tenantId: t, sandboxId: s, turnId: u, attempt: a, expiresAt: e } = claims;
  const body = Buffer.from(JSON.stringify({ t, s, u, a, e })).toString('base64url');
  return `${PREFIX}.${body}.${sign(secret, body).toString('base64url')}`;
}

/** Checks signature first, then shape, then expiry; never throws on hostile input. */
export function verifyTurnToken(secret: string, token: string, nowMs: number = Date.now()): TurnTokenCheck {
  const parts = token.length <= 1024 ? token.split('.') : [];
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, reason: 'malformed' };
  const [, body, signature] = parts as [string, string, string];
  const given = Buffer.from(signature, 'base64url');
  const expected = sign(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  let claims;
  try {
    claims = claimsSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.e * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { tenantId: claims.t, sandboxId: claims.s, turnId: claims.u, attempt: claims.a, expiresAt: claims.e } };
}
