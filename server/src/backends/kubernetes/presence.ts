/**
 * "This kernel has websocket clients on some gateway" on its driver pod (an annotation holding a
 * time until which it holds), so the culling replica keeps a kernel with an open tab on another
 * replica under `connected: false`. While clients are attached here it is renewed every
 * `refreshMs` to `refreshMs * 3` ahead; once they are gone it is left to expire.
 */
import type { NoteTimer } from './activityNote.js';
import { unrefTimer } from '../../util/timer.js';

export interface PresenceOptions {
  /** Writes the annotation's time; never rejects. */
  write: (until: Date) => Promise<void>;
  /** Default 30 s. */
  refreshMs?: number;
  now?: () => number;
  timer?: NoteTimer;
}

export class Presence {
  constructor(options: PresenceOptions) {
    this._o = options;
  }

  /** Clients attached here now (any count > 0 renews; 0 stops renewing). */
  set(attached: boolean): void {
    if (attached && !this._cancel && !this._stopped) {
      this._renew();
    } else if (!attached) {
      this._cancel?.();
      this._cancel = null;
    }
  }

  stop(): void {
    this._stopped = true;
    this.set(false);
  }

  private _renew(): void {
    const refresh = this._o.refreshMs ?? 30_000;
    void this._o.write(new Date((this._o.now ?? Date.now)() + 3 * refresh));
    this._cancel = (this._o.timer ?? unrefTimer)(() => {
      this._cancel = null;
      if (!this._stopped) {
        this._renew();
      }
    }, refresh);
  }

  private readonly _o: PresenceOptions;
  private _cancel: (() => void) | null = null;
  private _stopped = false;
}
