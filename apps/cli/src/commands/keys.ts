import { randomBytes } from 'node:crypto';
import { generateProxyKeyPair, generateSecretBoxKey } from '@warren/credentials';
import { z } from 'zod';
import { parseFlags } from '../args.ts';

export const keysUsage = `warren keys
  Prints fresh secrets for a deployment, as env lines: PROXY_TOKEN_SECRET (worker and
  credential proxy), PROXY_PUBLIC_KEY (API and proxy), PROXY_SECRET_KEY (proxy only), HOOK_SECRET_KEY (API and workers).`;

export async function keysCommand(argv: string[]): Promise<number> {
  parseFlags(argv, {}, z.object({}));
  const pair = await generateProxyKeyPair();
  console.log(`PROXY_TOKEN_SECRET=${randomBytes(32).toString('base64url')}`);
  console.log(`PROXY_PUBLIC_KEY=${pair.publicKey}`);
  console.log(`PROXY_SECRET_KEY=${pair.secretKey}`);
  console.log(`HOOK_SECRET_KEY=${await generateSecretBoxKey()}`);
  return 0;
}
