/** Counts of what the fuzz sent and got, as tables `row → {outcome: n}`, printed after the run. */
export class Tally {
  private readonly _tables = new Map<string, Map<string, Map<string, number>>>();

  /** Counts one `outcome` (a status, a close code, 'none', …) in `row` of `table`. */
  add(table: string, row: string, outcome: string | number): void {
    let rows = this._tables.get(table);
    if (!rows) {
      rows = new Map();
      this._tables.set(table, rows);
    }
    let cells = rows.get(row);
    if (!cells) {
      cells = new Map();
      rows.set(row, cells);
    }
    const key = String(outcome);
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }

  /** Total count of `table`. */
  total(table: string): number {
    let n = 0;
    for (const cells of this._tables.get(table)?.values() ?? []) {
      for (const count of cells.values()) {
        n += count;
      }
    }
    return n;
  }

  /** Every table, rows sorted, outcomes numeric first: `  GET /api/kernels/{id}  → {200: 3, 404: 40}`. */
  format(): string {
    const out: string[] = [];
    for (const [table, rows] of this._tables) {
      out.push(`${table} (${this.total(table)})`);
      const names = [...rows.keys()].sort();
      const width = Math.min(60, Math.max(...names.map(n => n.length)));
      for (const name of names) {
        const cells = [...(rows.get(name) as Map<string, number>).entries()].sort(([a], [b]) => order(a, b));
        out.push(`  ${name.padEnd(width)} → {${cells.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
      }
    }
    return out.join('\n');
  }
}

function order(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) {
    return na - nb;
  }
  if (Number.isFinite(na)) {
    return -1;
  }
  if (Number.isFinite(nb)) {
    return 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
