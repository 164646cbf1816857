// Small helpers shared by setup.mjs and start.mjs. Node built-ins only: setup runs before
// `npm install`, so nothing from node_modules may be imported here.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
export const venvDir = path.join(root, '.venv');
export const venvBin = path.join(venvDir, 'bin');
export const venvPython = path.join(venvBin, 'python');

export function say(message) {
  console.log(`sparkgate: ${message}`);
}

/** Print one line naming what to fix and exit 1: the contract for a missing prerequisite. */
export function fail(message) {
  console.error(`sparkgate: ${message}`);
  process.exit(1);
}

/** Run a command; returns {status, stdout, stderr}. Never throws for a missing binary. */
export function capture(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/**
 * Run a step quietly; on failure show the tail of its output and exit. `quiet: false` streams
 * the output instead (for steps whose progress the user wants to see).
 */
export function step(cmd, args, { quiet = true, env = process.env, cwd = root, what } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 256 * 1024 * 1024
  });
  if (r.error || r.status !== 0) {
    if (quiet) {
      const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-40).join('\n');
      if (out) console.error(out);
    }
    fail(`${what ?? `${cmd} ${args.join(' ')}`} failed${r.error ? `: ${r.error.message}` : ` (exit ${r.status})`}.`);
  }
  return r;
}

export function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\0');
  return h.digest('hex');
}

export function fileHash(file) {
  return existsSync(file) ? sha256(readFileSync(file)) : 'missing';
}

export function readStamp(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function writeStamp(file, value) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${value}\n`);
}

/**
 * A cheap fingerprint of a source tree: every file's path, size and mtime. Changes when a file is
 * edited, added or removed, without reading contents (keeps a warm `npm test` fast).
 */
export function treeFingerprint(entries, { skip = () => false } = {}) {
  const rows = [];
  const walk = (p) => {
    if (!existsSync(p) || skip(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(path.join(p, name));
    } else {
      rows.push(`${path.relative(root, p)}:${st.size}:${st.mtimeMs}`);
    }
  };
  for (const e of entries) walk(path.join(root, e));
  return sha256(...rows);
}

/** "17.0.15" → 17, "1.8.0_292" → 8, "21" → 21. */
export function javaMajor(versionString) {
  const parts = versionString.split(/[._-]/).map((x) => parseInt(x, 10));
  return parts[0] === 1 ? parts[1] : parts[0];
}
