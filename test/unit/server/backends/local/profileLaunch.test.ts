// A local launch of a profile with runtime fields (issue 18 item 1): its env reaches the kernel
// process and its sparkConf and packages the Spark conf file; images, placement and volumes do not apply.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalBackend } from '../../../../../server/src/backends/local/backend.js';
import type { LaunchRequest } from '../../../../../server/src/backends/types.js';
import type { ProfileRuntime } from '../../../../../server/src/config/types.js';
import { createLogger } from '../../../../../server/src/log.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sparkgate-local-profile-test-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const runtime: ProfileRuntime = {
  image: { driver: 'ignored/driver:1', executor: null },
  sparkConf: { 'spark.sql.shuffle.partitions': '8', 'spark.master': 'local[1]' },
  env: { TZ: 'UTC', MY_FLAG: '1' },
  driver: { nodeSelector: { pool: 'x' }, tolerations: [], gpuType: null },
  executors: { nodeSelector: {}, tolerations: [], gpuType: null },
  volumes: [{ name: 'data', claim: 'datasets', mountPath: '/data', readOnly: true, executors: true }],
  packages: ['org.apache.spark:spark-avro_2.13:4.0.1'],
  ivyCacheVolume: null,
  secrets: []
};
const sizing = { driver: { cores: 1, memoryMiB: 1024, gpus: 0 }, executors: { count: 0, cores: 1, memoryMiB: 1024, gpus: 0 } };

describe('backends/local/backend with a profile runtime (issue 18 item 1)', () => {
  it("should start the kernel with the profile's env under the client's, and its sparkConf and packages in the Spark conf", async () => {
    // Stands in for Python: records its environment and Spark conf file, then exits (the launch fails, as it should).
    const python = path.join(tmp, 'python');
    await writeFile(python, `#!/bin/sh\nenv > "${tmp}/env"\ncp "$5" "${tmp}/conf.json"\nexit 3\n`);
    await chmod(python, 0o700);
    const backend = new LocalBackend({ python, launcher: '/launcher.py', workingDir: tmp, baseEnv: { PATH: process.env.PATH ?? '' }, logger: createLogger({ level: 'silent' }), runtimeDir: null });
    const request: LaunchRequest = {
      kernelId: '0123abcd-0000-4000-8000-000000000000',
      owner: { user: 'alice', tenant: 'default' },
      profile: { id: 'p', displayName: 'P', spark: true, sizing, runtime },
      sizing,
      key: 'f'.repeat(64),
      env: { KERNEL_USERNAME: 'alice' },
      signal: new AbortController().signal
    };
    await expect(backend.launch(request)).rejects.toThrow();
    const env = (await readFile(path.join(tmp, 'env'), 'utf8')).split('\n');
    expect(env).toEqual(expect.arrayContaining(['TZ=UTC', 'MY_FLAG=1', 'KERNEL_USERNAME=alice', 'SPARKGATE_KERNEL_ID=0123abcd-0000-4000-8000-000000000000']));
    const conf = JSON.parse(await readFile(path.join(tmp, 'conf.json'), 'utf8')) as Record<string, string>;
    expect(conf).toMatchObject({ 'spark.master': 'local[*]', 'spark.sql.shuffle.partitions': '8', 'spark.jars.packages': 'org.apache.spark:spark-avro_2.13:4.0.1' });
  });
});
