import { writeFileSync } from 'node:fs';

/** Writes a kubeconfig (JSON is valid YAML) for a client-certificate user and returns its path. */
export function writeKubeconfig(file: string, server: string, caFile: string, user: { name: string; cert: string; key: string }): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sparkgate-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user.name, user: { 'client-certificate': user.cert, 'client-key': user.key } }],
    contexts: [{ name: 'sparkgate-test', context: { cluster: 'sparkgate-test', user: user.name } }],
    'current-context': 'sparkgate-test'
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
