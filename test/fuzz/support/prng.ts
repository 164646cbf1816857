/**
 * A small seeded PRNG for the fuzz tier (mulberry32), and the pickers the generators use.
 * Every case gets its own generator derived from (seed, phase, index), so one case can be
 * regenerated on its own from the numbers a failure message prints.
 */

/** mulberry32: 32-bit state, fast, good enough to spread fuzz cases; not for anything secret. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts, so (seed, phase, index) → an independent stream per case. */
export function caseSeed(seed: number, phase: string, index: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed >>> 0}/${phase}/${index}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The seed from `SPARKGATE_FUZZ_SEED` (decimal or 0x hex), else the fixed default. */
export function fuzzSeed(env: Readonly<Record<string, string | undefined>>, fallback: number): number {
  const raw = env.SPARKGATE_FUZZ_SEED;
  if (raw === undefined || raw.trim() === '') {
    return fallback >>> 0;
  }
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`SPARKGATE_FUZZ_SEED must be an integer in [0, 2^32), got '${raw}'`);
  }
  return value >>> 0;
}

/** Pickers over one stream. */
export class Rng {
  private readonly _next: () => number;

  constructor(seed: number) {
    this._next = mulberry32(seed);
  }

  /** For one case of a phase (see `caseSeed`). */
  static forCase(seed: number, phase: string, index: number): Rng {
    return new Rng(caseSeed(seed, phase, index));
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this._next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this._next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this._next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new Error('pick() from an empty list');
    }
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((sum, [w]) => sum + w, 0);
    let at = this._next() * total;
    for (const [w, value] of items) {
      at -= w;
      if (at < 0) {
        return value;
      }
    }
    return (items[items.length - 1] as readonly [number, T])[1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.int(256);
    }
    return out;
  }

  /** `n` characters from `alphabet`. */
  text(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let i = 0; i < n; i++) {
      out += alphabet[this.int(alphabet.length)];
    }
    return out;
  }

  /** A random (version 4 shaped) UUID string. */
  uuid(): string {
    const hex = this.text(32, '0123456789abcdef');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}
