/**
 * Writes a kernel's last user activity to its driver pod (an annotation), so a restarted gateway
 * or another replica culls on the newest activity any gateway saw (issue 13, item 1). Throttled:
 * at most one write per `intervalMs` per kernel, only when the time moved on; the last one of a
 * burst is written when the interval is over, so a replica's view lags by at most that.
 */
import { type Timer, unrefTimer } from '../../util/timer.js';

/** Starts a timer; returns its cancel. */
export type NoteTimer = Timer;

export interface ActivityNoteOptions {
  /** Writes the annotation; never rejects (the backend logs failures). */
  write: (at: Date) => Promise<void>;
  /** Default 30 s. */
  intervalMs?: number;
  /** Milliseconds clock; default `Date.now`. */
  now?: () => number;
  /** Default an unref'd `setTimeout`. */
  timer?: NoteTimer;
}


/** One kernel's throttled activity annotation. */
export class ActivityNote {
  constructor(options: ActivityNoteOptions) {
    this._o = options;
  }

  /** Activity at `at`: written now, or at the end of the current interval. */
  note(at: Date): void {
    if (this._stopped || (this._pending ?? this._written)?.getTime() === at.getTime() || (this._written && at <= this._written)) {
      return;
    }
    this._pending = at;
    if (this._cancel) {
      return;
    }
    const wait = this._lastWriteAt === null ? 0 : this._lastWriteAt + this._interval - this._now();
    if (wait <= 0) {
      this._flush();
    } else {
      this._cancel = (this._o.timer ?? unrefTimer)(() => {
        this._cancel = null;
        this._flush();
      }, wait);
    }
  }

  /** No more writes (the kernel is stopping or gone). */
  stop(): void {
    this._stopped = true;
    this._cancel?.();
    this._cancel = null;
  }

  private _flush(): void {
    const at = this._pending;
    if (this._stopped || at === null) {
      return;
    }
    this._pending = null;
    this._written = at;
    this._lastWriteAt = this._now();
    void this._o.write(at);
  }

  private get _interval(): number {
    return this._o.intervalMs ?? 30_000;
  }

  private _now(): number {
    return (this._o.now ?? Date.now)();
  }

  private readonly _o: ActivityNoteOptions;
  private _pending: Date | null = null;
  private _written: Date | null = null;
  private _lastWriteAt: number | null = null;
  private _cancel: (() => void) | null = null;
  private _stopped = false;
}
