import { describe, expect, it } from '@jest/globals';
import { allows, describeOption } from '../../../../server/src/config/options.js';
import { profileLoader } from './loadProfile.js';

// The Kubernetes backend: the local one refuses profiles with secrets (it cannot mount them).
const { profile, refusal } = profileLoader('kubernetes');

const GPU_EXECUTORS = 'executors: {count: 2, cores: 4, memory: 16g, gpus: 1}';

describe('config/options (issue 18 item 2: what users may change)', () => {
  it('should leave a profile without options free, as before options existed', () => {
    expect(profile(GPU_EXECUTORS)).not.toHaveProperty('options');
  });

  it("should take bounds and choices in the file's names, and give them in Sizing's (memory in MiB)", () => {
    const p = profile(
      `${GPU_EXECUTORS}, options: {driver: {cores: {choices: [2, 1, 4]}}, executors: {count: {min: 1, max: 8}, memory: {min: 8g, max: 32g}, gpuType: {choices: [NVIDIA-L4, NVIDIA-A100-SXM4-80GB]}}}`
    );
    expect(p.options).toEqual({
      driver: { cores: { choices: [1, 2, 4] } },
      executors: {
        count: { min: 1, max: 8 },
        memoryMiB: { min: 8192, max: 32768 },
        gpuType: { choices: ['NVIDIA-L4', 'NVIDIA-A100-SXM4-80GB'] }
      }
    });
    // The section sets no gpuType: a launch defaults to the first choice.
    expect(p.sizing.executors.gpuType).toBe('NVIDIA-L4');
    expect(p.sizing.driver).not.toHaveProperty('gpuType');
  });

  it("should keep the section's own gpuType as the default when it is one of the choices", () => {
    const p = profile('executors: {count: 1, gpus: 1, gpuType: NVIDIA-A100-SXM4-80GB}, options: {executors: {gpuType: {choices: [NVIDIA-L4, NVIDIA-A100-SXM4-80GB]}}}');
    expect(p.sizing.executors.gpuType).toBe('NVIDIA-A100-SXM4-80GB');
  });

  it('should make `options: {}` a profile where nothing may change', () => {
    expect(profile(`${GPU_EXECUTORS}, options: {}`).options).toEqual({ driver: {}, executors: {} });
  });

  it("should refuse an option the profile's own sizing does not fit, naming the path", () => {
    expect(refusal('executors: {count: 2}, options: {executors: {count: {min: 3, max: 8}}}')).toBe(
      "profiles.p.options.executors.count: the profile's own value (2) is not between 3 and 8"
    );
    expect(refusal('executors: {count: 2, memory: 4g}, options: {executors: {memory: {choices: [8g, 16g]}}}')).toBe(
      "profiles.p.options.executors.memory: the profile's own value (4g) is not one of 8g, 16g"
    );
    expect(refusal('executors: {min: 1, max: 4}, options: {executors: {count: {max: 8}}}')).toBe(
      'profiles.p.options.executors.count: the profile sizes executors with min/max (dynamic allocation); offer min and max instead'
    );
    expect(refusal('executors: {count: 2}, options: {executors: {max: {max: 8}}}')).toBe(
      'profiles.p.options.executors.max: the profile has a fixed executor count; offer count instead'
    );
    expect(refusal('executors: {count: 1}, options: {executors: {gpuType: {choices: [NVIDIA-L4]}}}')).toBe(
      'profiles.p.options.executors.gpuType: the executors ask for no GPUs (gpus: 0) and users may not change that, so a GPU type does not apply'
    );
    expect(refusal('executors: {count: 1, gpus: 1, gpuType: NVIDIA-H100}, options: {executors: {gpuType: {choices: [NVIDIA-L4]}}}')).toBe(
      "profiles.p.options.executors.gpuType: the profile's own executors.gpuType (NVIDIA-H100) is not one of the choices"
    );
  });

  it('should let a GPU type be offered where users may ask for GPUs', () => {
    const p = profile('executors: {count: 1}, options: {executors: {gpus: {max: 2}, gpuType: {choices: [NVIDIA-L4]}}}');
    expect(p.options?.executors.gpuType).toEqual({ choices: ['NVIDIA-L4'] });
  });

  it('should refuse malformed options', () => {
    expect(refusal('options: {driver: {cores: {}}}')).toBe('profiles.p.options.driver.cores: give min and/or max, or choices');
    expect(refusal('options: {driver: {memory: {min: 8g, max: 4g}}}')).toBe('profiles.p.options.driver.memory: max (4g) must be ≥ min (8g)');
    expect(refusal('options: {driver: {cores: {min: 1, choices: [1]}}}')).toBe('profiles.p.options.driver.cores: give choices or min/max, not both');
    expect(refusal('options: {executors: {cores: {choices: []}}}')).toBe('profiles.p.options.executors.cores.choices: give at least one choice');
    expect(refusal('options: {executors: {cores: {choices: [2, 2]}}}')).toBe('profiles.p.options.executors.cores.choices: a choice appears twice');
    expect(refusal('options: {executors: {cores: {max: 0}}}')).toBe('profiles.p.options.executors.cores.max must be an integer ≥ 1 (got 0)');
    expect(refusal('options: {executors: {image: {choices: [a]}}}')).toBe(
      'config: profiles.p.options.executors.image: unknown key; allowed: count, min, max, cores, memory, gpus, gpuType'
    );
    expect(refusal('executors: {count: 1, gpus: 1}, options: {executors: {gpuType: {choices: ["A100 80GB"]}}}')).toBe(
      'profiles.p.options.executors.gpuType.choices[0] must be a value of the node label nvidia.com/gpu.product (e.g. NVIDIA-L4)'
    );
    expect(refusal('executors: {count: 1, gpus: 1}, options: {executors: {gpuType: {choices: [L4, L4]}}}')).toBe(
      'profiles.p.options.executors.gpuType.choices: a GPU type appears twice'
    );
  });

  it('should judge and describe a value against an option', () => {
    expect(allows({ min: 1, max: 8 }, 8)).toBe(true);
    expect(allows({ min: 1, max: 8 }, 9)).toBe(false);
    expect(allows({ min: null, max: 4 }, 0)).toBe(true);
    expect(allows({ choices: [1, 2, 4] }, 3)).toBe(false);
    expect(describeOption({ min: 1, max: 8 })).toBe('between 1 and 8');
    expect(describeOption({ min: 2, max: null })).toBe('at least 2');
    expect(describeOption({ min: null, max: 4 })).toBe('at most 4');
    expect(describeOption({ choices: [1, 2, 4] })).toBe('one of 1, 2, 4');
  });
});

describe('config/memoryOverhead (issue 18 item 4: room for RAPIDS pinned memory)', () => {
  it('should give the JVM its overhead in MiB only when set', () => {
    const p = profile('driver: {memory: 4g, memoryOverhead: 1g}, executors: {count: 1, memory: 16g, memoryOverhead: 6g}');
    expect(p.sizing.driver).toEqual({ cores: 1, memoryMiB: 4096, gpus: 0, memoryOverheadMiB: 1024 });
    expect(p.sizing.executors.memoryOverheadMiB).toBe(6144);
    expect(profile('executors: {count: 1}').sizing.executors).not.toHaveProperty('memoryOverheadMiB');
    expect(refusal('executors: {memoryOverhead: lots}')).toBe('profiles.p.executors.memoryOverhead must be a memory size like 4g, 4096m or 4Gi (got "lots")');
  });
});

describe('config/secrets (issue 18 item 3: credentials without leaks)', () => {
  it('should take Secrets as files and as variables from their keys, for the executors too by default', () => {
    const p = profile(
      'secrets: [{name: s3-creds, mountPath: /mnt/secrets/s3, env: {AWS_ACCESS_KEY_ID: access-key, AWS_SECRET_ACCESS_KEY: secret-key}}, {name: token, mountPath: /mnt/token, executors: false}]'
    );
    expect(p.runtime?.secrets).toEqual([
      { name: 's3-creds', mountPath: '/mnt/secrets/s3', env: { AWS_ACCESS_KEY_ID: 'access-key', AWS_SECRET_ACCESS_KEY: 'secret-key' }, executors: true },
      { name: 'token', mountPath: '/mnt/token', env: {}, executors: false }
    ]);
    expect(profile('secrets: [{name: s, env: {TOKEN: t}}]').runtime?.secrets[0]?.mountPath).toBeNull();
  });

  it('should refuse a Secret that gives nothing, bad names and keys, taken variables and mounts', () => {
    expect(refusal('secrets: [{name: a}]')).toBe('profiles.p.secrets[0] (a): give mountPath (its keys as files) and/or env (variables from its keys)');
    expect(refusal('secrets: [{name: A_b, env: {X: k}}]')).toBe("profiles.p.secrets[0].name must be a Secret name (lowercase letters, digits, - and .; got 'A_b')");
    expect(refusal('secrets: [{name: a, env: {X: "k/1"}}]')).toBe("profiles.p.secrets[0].env.X must be a key of the Secret (letters, digits, -, _ and .; got 'k/1')");
    expect(refusal('secrets: [{name: a, env: {SPARK_X: k}}]')).toBe(
      "profiles.p.secrets[0].env.SPARK_X: Spark's and the gateway's own; Spark settings go in sparkConf; remove it"
    );
    expect(refusal('env: {A: b}, secrets: [{name: a, env: {A: k}}]')).toBe('profiles.p.secrets[0].env.A: the variable is set twice (in env or another secret)');
    expect(refusal('secrets: [{name: a, env: {X: k}}, {name: a, env: {Y: k}}]')).toBe(
      "profiles.p.secrets[1].name: 'a' appears twice; give its mountPath and env in one entry"
    );
    expect(refusal('env: {AWS_SECRET_ACCESS_KEY: abc}')).toBe(
      'profiles.p.env.AWS_SECRET_ACCESS_KEY: looks like a credential, and a plain value would be a literal in the pod spec; take it from a Secret (secrets: [{name: <secret>, env: {AWS_SECRET_ACCESS_KEY: <key>}}])'
    );
    for (const name of ['HF_TOKEN', 'DB_PASSWORD', 'AWS_ACCESS_KEY_ID', 'OPENAI_API_KEY', 'my_secret']) {
      expect(refusal(`env: {${name}: x}`)).toMatch(/looks like a credential/);
    }
    // Whole words only, and a path to a mounted key file is fine.
    const env = 'env: {TOKENIZERS_PARALLELISM: "false", KEY_COLUMN: id, SECRETARY: x, GOOGLE_APPLICATION_CREDENTIALS: /mnt/gcp/key.json}';
    expect(Object.keys(profile(env).runtime?.env ?? {})).toEqual(['TOKENIZERS_PARALLELISM', 'KEY_COLUMN', 'SECRETARY', 'GOOGLE_APPLICATION_CREDENTIALS']);
    expect(refusal('secrets: [{name: a, mountPath: /etc/sparkgate/x}]')).toBe('profiles.p.secrets[0].mountPath is inside the gateway\'s read-only mount at /etc/sparkgate');
    expect(refusal('volumes: [{name: data, claim: shared, mountPath: /data}], secrets: [{name: a, mountPath: /data/keys}]')).toBe(
      'profiles.p.secrets[0].mountPath: /data/keys overlaps another mount (/data)'
    );
  });
});
