// The Dockerfiles cannot be built here (no Docker engine), so this checks what a build would trip
// over or what the backend relies on: COPY sources exist and are not excluded by .dockerignore,
// non-root users, tini entrypoints, the image contract (env, CMD, paths), small-layer habits.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const version = (JSON.parse(readFileSync(path.join(root, 'server/package.json'), 'utf8')) as { version: string }).version;

interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function parse(file: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (pending === '' && (line === '' || line.startsWith('#'))) {
        return;
      }
      if (pending !== '' && line.startsWith('#')) {
        return;
      }
      if (pending === '') {
        start = i + 1;
      }
      pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
      if (!line.endsWith('\\')) {
        const [op = '', ...rest] = pending.split(/\s+/);
        out.push({ op: op.toUpperCase(), args: rest.join(' '), line: start });
        pending = '';
      }
    });
  return out;
}

/** The instructions of the last stage (what the image is). */
function finalStage(ins: Instruction[]): Instruction[] {
  const from = ins.map((x) => x.op).lastIndexOf('FROM');
  return ins.slice(from);
}

const last = (ins: Instruction[], op: string): Instruction | undefined => ins.filter((x) => x.op === op).pop();
const jsonArgs = (x: Instruction | undefined): unknown => (x ? JSON.parse(x.args) : undefined);

/** ENV instructions of a stage as a map (KEY=value pairs, several per instruction). */
function envOf(ins: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const x of ins.filter((i) => i.op === 'ENV')) {
    for (const m of x.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** .dockerignore patterns (simple prefix and `**\/name` forms, as used in this repo). */
const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
function isIgnored(p: string): boolean {
  const parts = p.split('/');
  return ignored.some((pat) =>
    pat.startsWith('**/') ? parts.includes(pat.slice(3)) : p === pat || p.startsWith(`${pat}/`)
  );
}

/** Sources of every COPY/ADD that reads the build context (not --from another stage). */
function contextSources(ins: Instruction[]): string[] {
  return ins
    .filter((x) => (x.op === 'COPY' || x.op === 'ADD') && !/--from=/.test(x.args))
    .flatMap((x) => {
      const words = x.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      return words.slice(0, -1);
    });
}

const DOCKERFILES = ['images/driver/Dockerfile', 'images/executor/Dockerfile', 'images/gateway/Dockerfile'];

describe('images/Dockerfiles', () => {
  it.each(DOCKERFILES)('%s: every COPY source exists in the build context (the repository root)', (file) => {
    const sources = contextSources(parse(file));
    for (const src of sources) {
      expect({ src, exists: existsSync(path.join(root, src)) }).toEqual({ src, exists: true });
      expect({ src, ignoredByDockerignore: isIgnored(src) }).toEqual({ src, ignoredByDockerignore: false });
    }
  });

  it.each(DOCKERFILES)('%s: runs as a numeric non-root user under tini', (file) => {
    const stage = finalStage(parse(file));
    const user = last(stage, 'USER')?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const entrypoint = jsonArgs(last(stage, 'ENTRYPOINT')) as string[];
    expect(entrypoint[0]).toBe('/usr/bin/tini');
    // No instruction after USER switches back to root.
    expect(stage.slice(stage.indexOf(last(stage, 'USER') as Instruction)).filter((x) => x.op === 'USER')).toHaveLength(1);
  });

  it('should give driver and executor the image contract the Kubernetes backend relies on', () => {
    const driverAll = parse('images/driver/Dockerfile');
    const driver = finalStage(driverAll);
    expect(last(driver, 'USER')?.args).toBe('185:185');
    expect(last(driver, 'WORKDIR')?.args).toBe('/opt/spark/work-dir');
    expect(jsonArgs(last(driver, 'ENTRYPOINT'))).toEqual(['/usr/bin/tini', '-s', '--', '/opt/sparkgate/bin/entrypoint.sh']);
    expect(jsonArgs(last(driver, 'CMD'))).toEqual(['kernel']);
    const env = envOf(driver);
    expect(env).toMatchObject({
      SPARKGATE_PYTHON: '/opt/venv/bin/python',
      SPARKGATE_LAUNCHER: '/opt/sparkgate/sparkgate_launcher.py',
      SPARK_HOME: '/opt/spark',
      HOME: '/home/spark'
    });
    expect(env.JAVA_HOME).toMatch(/^\/usr\/lib\/jvm\//);
    expect(env.PATH?.split(':')[0]).toBe('/opt/venv/bin');
    // The files the backend names by path.
    const copies = driver.filter((x) => x.op === 'COPY').map((x) => x.args);
    expect(copies).toContain('--chmod=0755 images/bin/entrypoint.sh images/bin/gpu-discovery.sh /opt/sparkgate/bin/');
    expect(copies).toContain('--chmod=0644 images/kernel/sparkgate_launcher.py /opt/sparkgate/sparkgate_launcher.py');
    // Same CUDA runtime base for the venv stage and the runtime (the venv's python is the base's).
    const froms = driverAll.filter((x) => x.op === 'FROM').map((x) => x.args.split(/\s+/)[0]);
    expect(froms).toEqual(['${CUDA_IMAGE}', '${CUDA_IMAGE}']);
    expect(driverAll.find((x) => x.op === 'ARG')?.args).toMatch(/^CUDA_IMAGE=nvidia\/cuda:12\.\d+\.\d+-runtime-ubuntu\d\d\.04$/);
    // JRE 17 headless, tini, the requirements pinned for the kernel (pyspark 4.0.5 = SPARK_HOME).
    const runs = driverAll.filter((x) => x.op === 'RUN').map((x) => x.args).join('\n');
    expect(runs).toContain('openjdk-17-jre-headless');
    expect(runs).toContain('tini');
    expect(runs).toMatch(/groupadd --system --gid 185 spark/);
    expect(runs).toMatch(/useradd --system --uid 185 --gid 185 --home-dir \/home\/spark/);
    expect(runs).toContain('-r /tmp/requirements.txt');
    expect(readFileSync(path.join(root, 'images/kernel/requirements.txt'), 'utf8')).toMatch(/^pyspark==4\.0\.5$/m);

    const executor = parse('images/executor/Dockerfile');
    expect(executor.find((x) => x.op === 'ARG')?.args).toBe(`DRIVER_IMAGE=sparkgate/driver:${version}`);
    expect(executor.filter((x) => x.op === 'FROM').map((x) => x.args)).toEqual(['${DRIVER_IMAGE}']);
    expect(last(executor, 'USER')?.args).toBe('185:185');
    expect(jsonArgs(last(executor, 'ENTRYPOINT'))).toEqual(['/usr/bin/tini', '-s', '--', '/opt/sparkgate/bin/entrypoint.sh']);
    expect(jsonArgs(last(executor, 'CMD'))).toEqual(['executor']);
  });

  it('should run the gateway image as the deployment expects', () => {
    const stage = finalStage(parse('images/gateway/Dockerfile'));
    expect(jsonArgs(last(stage, 'ENTRYPOINT'))).toEqual(['/usr/bin/tini', '--', 'node', '/app/server/dist/main.js']);
    expect(jsonArgs(last(stage, 'CMD'))).toEqual(['--backend', 'kubernetes', '--config', '/etc/sparkgate/config.yaml', '--host', '0.0.0.0', '--port', '8889']);
    expect(last(stage, 'EXPOSE')?.args).toBe('8889');
    // main.ts reads the version from server/package.json next to dist/.
    expect(stage.some((x) => x.op === 'COPY' && x.args.endsWith('server/package.json'))).toBe(true);
  });

  it.each(DOCKERFILES)('%s: keeps layers small (no recommends, no apt lists, no pip cache)', (file) => {
    for (const run of parse(file).filter((x) => x.op === 'RUN')) {
      if (/apt-get install/.test(run.args)) {
        expect({ line: run.line, noRecommends: run.args.includes('--no-install-recommends') }).toEqual({ line: run.line, noRecommends: true });
        expect({ line: run.line, cleansLists: run.args.includes('rm -rf /var/lib/apt/lists/*') }).toEqual({ line: run.line, cleansLists: true });
      }
      if (/pip install/.test(run.args)) {
        expect({ line: run.line, noCache: run.args.includes('--no-cache-dir') }).toEqual({ line: run.line, noCache: true });
      }
    }
  });
});
