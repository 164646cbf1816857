// The one `go install <pkg>@<version>` into the per-user cache the cluster tier's tools share (Helm,
// Prometheus): finds Go, builds outside any module, under nice, into a private folder renamed into
// place so a concurrent or interrupted build never leaves a partial binary. Plain JS: prepare.mjs
// (before jest), the demo cluster and the TypeScript harness import it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** ~/.cache/sparkgate (override: SPARKGATE_K8S_CACHE, as the control plane; or XDG_CACHE_HOME). */
export function cacheBase(env = process.env) {
  return env.SPARKGATE_K8S_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'sparkgate');
}

function findGo(env, what) {
  for (const c of [env.SPARKGATE_GO, 'go', '/usr/local/go/bin/go'].filter(Boolean)) {
    if (spawnSync(c, ['version'], { encoding: 'utf8' }).status === 0) {
      return c;
    }
  }
  throw new Error(
    `sparkgate cluster tests need the Go toolchain (>= 1.26) to build ${what}, but no \`go\` was found ` +
      '(tried $SPARKGATE_GO, `go` on PATH, /usr/local/go/bin/go). Install Go or set SPARKGATE_GO.'
  );
}

/**
 * Ensures `out` exists, else `go install`s `pkg` (`module/cmd/x@version`) and moves binary `bin` there.
 * @param {{ what: string, pkg: string, bin: string, out: string, ldflags: string, tags?: string, coldHint?: string,
 *   log?: (line: string) => void, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<string>} `out`
 */
export async function goInstall({ what, pkg, bin, out, ldflags, tags, coldHint = 'one-time', log, env = process.env }) {
  const say = log ?? ((line) => process.stderr.write(`${line}\n`));
  if (existsSync(out)) {
    return out;
  }
  const go = findGo(env, what);
  mkdirSync(path.dirname(out), { recursive: true });
  const gobin = mkdtempSync(`${out}.tmp-`);
  // nice: the cores are shared with other test tiers.
  const args = ['-n', '10', go, 'install', '-trimpath', ...(tags ? ['-tags', tags] : []), '-ldflags', ldflags, pkg];
  say(`sparkgate: building ${what} from the Go module proxy (${coldHint}) -> ${out}`);
  const started = Date.now();
  const ticker = setInterval(() => say(`sparkgate: still building ${what} (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
  try {
    await new Promise((resolve, reject) => {
      const child = spawn('nice', args, {
        // Outside any module: `go install pkg@version` must not see a go.work or go.mod.
        cwd: gobin,
        env: { ...env, GOBIN: gobin, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', GOWORK: 'off' },
        stdio: ['ignore', 'inherit', 'inherit']
      });
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0 ? resolve(undefined) : reject(new Error(`go install of ${what} failed (exit ${code ?? signal}); see the go output above`))
      );
    });
    renameSync(path.join(gobin, bin), out);
  } finally {
    clearInterval(ticker);
    rmSync(gobin, { recursive: true, force: true });
  }
  say(`sparkgate: ${what} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return out;
}
