import { createHmac, timingSafeEqual } from 'node:crypto';

/** A message part as it goes into the HMAC: JSON text or raw bytes. */
export type SignablePart = string | Buffer;

/**
 * HMAC-SHA256 hex signature over the four dict parts (header, parent header, metadata, content),
 * as jupyter_client's `Session.sign`.
 *
 * #### Notes
 * An empty key yields the empty signature (Jupyter's "signing disabled" convention). The gateway
 * always generates keys; the empty case exists for interop with unsigned test kernels only.
 * Buffers are not signed, as in jupyter_client.
 */
export function sign(key: string, parts: readonly SignablePart[]): string {
  if (key.length === 0) {
    return '';
  }
  const hmac = createHmac('sha256', key);
  for (const part of parts) {
    hmac.update(part);
  }
  return hmac.digest('hex');
}

/**
 * Whether `signature` is the HMAC-SHA256 of `parts` under `key`, compared in constant time.
 * With an empty key only the empty signature verifies.
 */
export function verify(key: string, parts: readonly SignablePart[], signature: string): boolean {
  const expected = Buffer.from(sign(key, parts), 'latin1');
  const actual = Buffer.from(signature, 'latin1');
  // timingSafeEqual throws on length mismatch; a length difference leaks nothing about the key.
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
