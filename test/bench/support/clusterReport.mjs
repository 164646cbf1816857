/** The cluster phase's table and target checks (support/cluster.mjs). */
export function clusterTable() {
  return [];
}

export function clusterChecks() {
  return [];
}
