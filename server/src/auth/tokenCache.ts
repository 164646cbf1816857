/**
 * A bounded, time-limited map from token digests to what the Hub said about them. Keys are
 * SHA-256 digests (hex) of tokens: the token itself is never stored, so neither a heap dump nor
 * a debug log of the cache shows one.
 */
import { createHash } from 'node:crypto';

/** The key a token is cached under. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface TokenCacheOptions {
  /** How long an entry is served; 0 = nothing is cached. */
  ttlMs: number;
  /** Most entries held; the oldest goes first. */
  maxEntries: number;
  /** Milliseconds now (injected for tests). */
  now?: () => number;
}

/**
 * #### Notes
 * Every entry lives `ttlMs`, so insertion order is expiry order: evicting the first key of the
 * `Map` drops the entry closest to expiry, and `set` re-inserts to keep that true.
 */
export class TokenCache<V> {
  private readonly _entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly _ttlMs: number;
  private readonly _maxEntries: number;
  private readonly _now: () => number;

  constructor(options: TokenCacheOptions) {
    this._ttlMs = options.ttlMs;
    this._maxEntries = Math.max(1, options.maxEntries);
    this._now = options.now ?? Date.now;
  }

  /** The cached value, if it has not expired. */
  get(key: string): V | undefined {
    const entry = this._entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (this._now() >= entry.expiresAt) {
      this._entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this._ttlMs <= 0) {
      return;
    }
    this._entries.delete(key);
    while (this._entries.size >= this._maxEntries) {
      const oldest = this._entries.keys().next();
      if (oldest.done === true) {
        break;
      }
      this._entries.delete(oldest.value);
    }
    this._entries.set(key, { value, expiresAt: this._now() + this._ttlMs });
  }

  /** Entries held, expired ones included until they are looked up or evicted. */
  get size(): number {
    return this._entries.size;
  }
}
