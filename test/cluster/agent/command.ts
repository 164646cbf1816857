import type { V1Container } from '@kubernetes/client-node';
import { expand } from './env.js';
import type { ImageEntrypoints } from './types.js';

/** Image reference without digest, and without tag. */
function imageKeys(image: string): string[] {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return [...new Set([image, noDigest, noTag])];
}

/** The entrypoint for an image from the map, or undefined. */
export function entrypointFor(image: string, map: ImageEntrypoints): string[] | undefined {
  for (const k of imageKeys(image)) {
    if (map[k]) {
      return map[k];
    }
  }
  return undefined;
}

/**
 * The argv a container runs: `command` + `args` when it has a command, else the image's host
 * entrypoint + `args`; `$(VAR)` expanded from the container env. Undefined = no entrypoint known
 * (the agent reports ErrImagePull, as a kubelet does for an image it cannot get).
 */
export function containerArgv(c: V1Container, map: ImageEntrypoints, env: Record<string, string>): string[] | undefined {
  const head = c.command && c.command.length > 0 ? c.command : entrypointFor(c.image ?? '', map);
  if (!head) {
    return undefined;
  }
  return [...head, ...(c.args ?? [])].map((a) => expand(a, env));
}
