#!/usr/bin/env node
// Cluster tier preparation (run by server/scripts/test.mjs before jest): build the pinned control
// plane into the cache when it is missing. Idempotent and quick when the cache is warm.
import { ensureK8sBinary } from './k8sbin/build.mjs';

try {
  const bin = await ensureK8sBinary();
  console.log(`sparkgate: control plane binary ready: ${bin}`);
} catch (err) {
  console.error(`sparkgate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
