// images/bin/gpu-discovery.sh: Spark's {"name":"gpu","addresses":[…]} from nvidia-smi's indices,
// else from NVIDIA_VISIBLE_DEVICES (what the test cluster's node agent sets for fake GPUs).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';

const script = fileURLToPath(new URL('../../../images/bin/gpu-discovery.sh', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sparkgate-gpu-discovery-'));

/** Runs the script with only the given variables (PATH without any nvidia-smi unless given). */
function discover(env: Record<string, string>): { json: unknown; stderr: string } {
  const r = spawnSync('/bin/sh', [script], { env: { PATH: '/usr/bin:/bin', SPARKGATE_NVIDIA_SMI: '', ...env }, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return { json: JSON.parse(r.stdout), stderr: r.stderr };
}

function fakeSmi(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('images/gpu-discovery.sh', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should report the devices the node agent assigned (NVIDIA_VISIBLE_DEVICES)', () => {
    expect(discover({ NVIDIA_VISIBLE_DEVICES: 'GPU-fake-gpu-1-0,GPU-fake-gpu-1-1' }).json).toEqual({
      name: 'gpu',
      addresses: ['GPU-fake-gpu-1-0', 'GPU-fake-gpu-1-1']
    });
    expect(discover({ NVIDIA_VISIBLE_DEVICES: ' 0, 2 ,' }).json).toEqual({ name: 'gpu', addresses: ['0', '2'] });
  });

  it.each(['all', 'none', 'void', ''])('should report no addresses for NVIDIA_VISIBLE_DEVICES=%j', (value) => {
    expect(discover({ NVIDIA_VISIBLE_DEVICES: value }).json).toEqual({ name: 'gpu', addresses: [] });
  });

  it('should report no addresses when nothing is set', () => {
    expect(discover({}).json).toEqual({ name: 'gpu', addresses: [] });
  });

  it("should prefer nvidia-smi's indices when it is present", () => {
    const smi = fakeSmi('nvidia-smi', 'test "$*" = "--query-gpu=index --format=csv,noheader" || exit 2\nprintf "0\\n1\\n"');
    expect(discover({ SPARKGATE_NVIDIA_SMI: smi, NVIDIA_VISIBLE_DEVICES: 'GPU-aaaa,GPU-bbbb' }).json).toEqual({ name: 'gpu', addresses: ['0', '1'] });
    // Found on PATH under its own name by default.
    const r = spawnSync('/bin/sh', [script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ name: 'gpu', addresses: ['0', '1'] });
  });

  it('should fall back to NVIDIA_VISIBLE_DEVICES when nvidia-smi fails, saying so on stderr', () => {
    const smi = fakeSmi('broken-smi', 'echo "NVIDIA-SMI has failed" >&2; exit 9');
    const { json, stderr } = discover({ SPARKGATE_NVIDIA_SMI: smi, NVIDIA_VISIBLE_DEVICES: '3' });
    expect(json).toEqual({ name: 'gpu', addresses: ['3'] });
    expect(stderr).toContain('failed; using NVIDIA_VISIBLE_DEVICES');
  });
});
