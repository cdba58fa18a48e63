import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateProxyKeyPair, mintTurnToken, openSealed, sealForProxy, verifyTurnToken } from '../src/index.ts';

const secret = 'a-token-secret-of-at-least-32-characters!';
const tenantId = 'ten_01h2xcejqtf2nbrexx3vqjhp41';
const otherTenant = 'ten_01h2xcejqtf2nbrexx3vqjhp42';
const inAnHour = Math.floor(Date.now() / 1000) + 3600;
const claims = { tenantId, sandboxId: 'sbx-1', turnId: 'turn-1', attempt: 1 };

describe('turn tokens', () => {
  it('verifies what was minted with the same secret', () => {
    const token = mintTurnToken(secret, { ...claims, expiresAt: inAnHour });
    expect(verifyTurnToken(secret, token)).toEqual({ ok: true, claims: { ...claims, expiresAt: inAnHour } });
  });

  it('refuses another secret, an altered tenant, expiry, and junk', () => {
    const token = mintTurnToken(secret, { ...claims, expiresAt: inAnHour });
    expect(verifyTurnToken('another-secret-of-at-least-32-characters', token)).toEqual({ ok: false, reason: 'bad_signature' });

    const [prefix, , sig] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ t: otherTenant, s: 'sbx-1', u: 'turn-1', a: 1, e: inAnHour })).toString('base64url');
    expect(verifyTurnToken(secret, `${prefix}.${forgedBody}.${sig}`)).toEqual({ ok: false, reason: 'bad_signature' });

    const expired = mintTurnToken(secret, { ...claims, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expect(verifyTurnToken(secret, expired)).toEqual({ ok: false, reason: 'expired' });

    for (const junk of ['', 'sk-ant-real-looking-key', 'wtt1.x', 'wtt1.a.b.c', 'wtt1..', 'x'.repeat(5000)]) {
      expect(verifyTurnToken(secret, junk).ok).toBe(false);
    }
    // a correctly signed body that is not valid claims
    const badClaims = Buffer.from('{"t":"nope"}').toString('base64url');
    const signature = createHmac('sha256', secret).update(`wtt1.${badClaims}`).digest('base64url');
    expect(verifyTurnToken(secret, `wtt1.${badClaims}.${signature}`)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('sealed tenant keys', () => {
  it('opens only with the proxy key pair it was sealed to', async () => {
    const proxy = await generateProxyKeyPair();
    const other = await generateProxyKeyPair();
    const sealed = await sealForProxy(proxy.publicKey, 'sk-ant-tenant-own-key');
    expect(sealed).not.toContain('sk-ant');
    expect(await openSealed(proxy, sealed)).toBe('sk-ant-tenant-own-key');
    await expect(openSealed(other, sealed)).rejects.toThrow();
    const tampered = Buffer.from(sealed, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    await expect(openSealed(proxy, tampered.toString('base64'))).rejects.toThrow();
  });
});
