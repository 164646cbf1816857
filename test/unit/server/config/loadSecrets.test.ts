import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../../server/src/config/load.js';

const defaults = { python: '/py', launcher: '/launcher.py', workingDir: '/work' };
const load = (profiles: string, backend: 'local' | 'kubernetes') =>
  loadConfig({ flags: { config: 'gw.yaml', backend }, env: { SPARKGATE_TOKEN: 'secret' }, readFile: () => `profiles:\n${profiles}`, defaults });
const profile = (extra: string) =>
  `  s3:\n    spark: true\n    driver: {cores: 1, memory: 1g, gpus: 0}\n    executors: {count: 1, cores: 1, memory: 1g, gpus: 0}\n${extra}`;

describe('config/load: profile secrets (issue 18 item 3)', () => {
  it('should refuse a profile with secrets on the local backend, naming the path', () => {
    const yaml = profile('    secrets:\n      - {name: s3-creds, env: {AWS_SECRET_ACCESS_KEY: secret-key}}\n');
    expect(() => load(yaml, 'local')).toThrow(
      "profiles.s3.secrets.0 (s3-creds): the local backend runs kernels as processes and cannot mount Kubernetes Secrets; use --backend kubernetes, or remove the profile's secrets"
    );
    expect(load(yaml, 'kubernetes').profiles.s3?.runtime?.secrets).toEqual([{ name: 's3-creds', mountPath: null, env: { AWS_SECRET_ACCESS_KEY: 'secret-key' }, executors: true }]);
  });

  it("should refuse an executors' Secret whose name Spark cannot make a volume of, unless the executors do not mount it", () => {
    const dotted = (executors: string) => profile(`    secrets:\n      - {name: tls.certs, mountPath: /etc/certs${executors}}\n`);
    expect(() => load(dotted(''), 'kubernetes')).toThrow(
      "profiles.s3.secrets.0.name: Spark mounts it in the executors as volume 'tls.certs-volume', which is not a pod volume name " +
        '(at most 63 lowercase letters, digits and -; no dots): give executors: false, or the Secret a shorter name without dots'
    );
    expect(() => load(profile(`    secrets:\n      - {name: ${'a'.repeat(57)}, mountPath: /etc/a}\n`), 'kubernetes')).toThrow(/volume 'a{57}-volume', which is not a pod volume name/);
    expect(load(dotted(', executors: false'), 'kubernetes').profiles.s3?.runtime?.secrets[0]?.name).toBe('tls.certs');
    // Variables need no volume; a profile without Spark has no executors.
    expect(load(profile('    secrets:\n      - {name: tls.certs, env: {CA: ca.crt}}\n'), 'kubernetes').profiles.s3).toBeDefined();
    expect(load(dotted('').replace('spark: true', 'spark: false').replace('executors: {count: 1', 'executors: {count: 0'), 'kubernetes').profiles.s3).toBeDefined();
  });

  it("should refuse an executors' Secret whose Spark volume name is one of the profile's executor volumes", () => {
    const yaml = profile(
      '    volumes:\n      - {name: creds-volume, claim: shared, mountPath: /shared}\n    secrets:\n      - {name: creds, mountPath: /etc/creds}\n'
    );
    expect(() => load(yaml, 'kubernetes')).toThrow(
      "profiles.s3.secrets.0.name: Spark names its executor volume 'creds-volume', as the profile's volume of that name: rename the volume"
    );
  });
});
