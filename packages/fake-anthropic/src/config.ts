import { parseEnv } from '@warren/core';
import { z } from 'zod';

export const fakeAnthropicConfigSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  /** When set, the only key accepted; otherwise any non-empty key is. */
  FAKE_ANTHROPIC_API_KEY: z.string().min(1).optional(),
  /** Fraction (0–1) of calls failing at random with 500 or 529. */
  FAKE_ANTHROPIC_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
});

export type FakeAnthropicConfig = z.infer<typeof fakeAnthropicConfigSchema>;

export const loadFakeAnthropicConfig = (env: NodeJS.ProcessEnv = process.env): FakeAnthropicConfig =>
  parseEnv(fakeAnthropicConfigSchema, env);
