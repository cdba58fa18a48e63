import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses a command's flags with node:util, then validates and converts them with zod. */
export function parseFlags<S extends z.ZodObject>(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
): { flags: z.infer<S>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const result = schema.safeParse(parsed.values);
  if (!result.success) {
    throw new UsageError(result.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return { flags: result.data, positionals: parsed.positionals };
}

export const databaseUrlFromEnv = () => {
  const url = z.url({ protocol: /^postgres(ql)?$/ }).safeParse(process.env.DATABASE_URL);
  if (!url.success) throw new UsageError('DATABASE_URL must be set to a postgres:// URL of the app role');
  return url.data;
};
