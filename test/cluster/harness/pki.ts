import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files of the throw-away PKI of one test cluster (all PEM). */
export interface ClusterPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Service-account token signing key pair. */
  saKey: string;
  saPub: string;
  /** Client certificates by user: admin (system:masters), controller-manager, scheduler. */
  clients: Record<'admin' | 'controllerManager' | 'scheduler', { cert: string; key: string }>;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 30_000 });
}

async function issue(
  dir: string,
  base: string,
  subject: string,
  extensions: string,
  ca: { cert: string; key: string }
): Promise<{ cert: string; key: string }> {
  const key = path.join(dir, `${base}.key`);
  const csr = path.join(dir, `${base}.csr`);
  const cert = path.join(dir, `${base}.crt`);
  const ext = path.join(dir, `${base}.ext`);
  await writeFile(ext, extensions);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-out', cert, '-days', '7', '-extfile', ext]);
  return { cert, key };
}

/**
 * Creates a CA, the API server's serving certificate (127.0.0.1 / localhost only), client
 * certificates for the admin and the two controllers, and the service-account signing key, with
 * the openssl CLI (node:crypto cannot issue X.509 certificates). EC P-256 keys keep it fast.
 */
export async function createPki(dir: string): Promise<ClusterPki> {
  const caKey = path.join(dir, 'ca.key');
  const caCert = path.join(dir, 'ca.crt');
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', caKey, '-out', caCert, '-days', '7', '-subj', '/CN=sparkgate-test-ca'
  ]);
  const ca = { cert: caCert, key: caKey };
  const client = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
  // The SANs name the in-cluster names too (clients may verify them), but every address is loopback.
  const server =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n';
  const [srv, admin, controllerManager, scheduler] = await Promise.all([
    issue(dir, 'apiserver', '/CN=kube-apiserver', server, ca),
    issue(dir, 'admin', '/O=system:masters/CN=kubernetes-admin', client, ca),
    issue(dir, 'controller-manager', '/CN=system:kube-controller-manager', client, ca),
    issue(dir, 'scheduler', '/CN=system:kube-scheduler', client, ca)
  ]);
  const saKey = path.join(dir, 'sa.key');
  const saPub = path.join(dir, 'sa.pub');
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', saKey]);
  await openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub]);
  return { caCert, caKey, serverCert: srv.cert, serverKey: srv.key, saKey, saPub, clients: { admin, controllerManager, scheduler } };
}
