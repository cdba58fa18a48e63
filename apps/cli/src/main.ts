#!/usr/bin/env node
import { ConfigError } from '@warren/core';
import { UsageError } from './args.ts';
import { keysCommand, keysUsage } from './commands/keys.ts';
import { migrateCommand, migrateUsage } from './commands/migrate.ts';
import { tenantsCommand, tenantsUsage } from './commands/tenants.ts';
import { upCommand, upUsage } from './commands/up.ts';

const usage = `usage: warren <command>

${upUsage}

${migrateUsage}

${tenantsUsage}

${keysUsage}`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  up: upCommand,
  migrate: migrateCommand,
  tenants: tenantsCommand,
  keys: keysCommand,
};

const [name, ...argv] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(usage);
  process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 64);
}
try {
  process.exitCode = await command(argv);
} catch (err) {
  if (err instanceof UsageError || err instanceof ConfigError) {
    console.error(`warren ${name}: ${err.message}`);
    process.exitCode = 64;
  } else {
    throw err;
  }
}
