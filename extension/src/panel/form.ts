/**
 * The sizing form: profile, driver, executors (fixed or autoscale), totals, Launch.
 * Validated on every input against the tenant's limits and usage (see `sizing.ts`).
 */

import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { IMe, IProfile, ISharedShape } from '../api';
import { h, replaceChildren } from '../dom';
import {
  checkSizing,
  draftFromProfile,
  draftFromSizing,
  formatAmount,
  issuesFor,
  remaining,
  RESOURCE_KEYS,
  sizingFromDraft
} from '../sizing';
import type { ISizingCheck, ISizingDraft, ResourceKey, SizingField } from '../sizing';

/** Form inputs, in display order. */
const FIELDS: readonly Private.IFieldSpec[] = [
  { field: 'driver.gpus', label: 'Driver GPUs', step: '1', min: '0' },
  { field: 'driver.cores', label: 'Driver cores', step: '0.1', min: '0.1' },
  { field: 'driver.memoryMiB', label: 'Driver memory (MiB)', step: '256', min: '256' },
  { field: 'executors.count', label: 'Executors', step: '1', min: '0', mode: 'fixed' },
  { field: 'executors.min', label: 'Min executors', step: '1', min: '0', mode: 'autoscale' },
  { field: 'executors.max', label: 'Max executors', step: '1', min: '0', mode: 'autoscale' },
  { field: 'executors.cores', label: 'Executor cores', step: '1', min: '1' },
  { field: 'executors.memoryMiB', label: 'Executor memory (MiB)', step: '256', min: '256' },
  { field: 'executors.gpus', label: 'Executor GPUs', step: '1', min: '0' }
];

const RESOURCE_LABELS: Record<ResourceKey, string> = { gpus: 'GPUs', cores: 'Cores', memoryMiB: 'Memory' };

/**
 * Sizing form widget. Emits {@link SizingForm.launchRequested} with a valid shape.
 */
export class SizingForm extends Widget {
  constructor() {
    super();
    this.addClass('sg-SizingForm');
    this._profileSelect = h('select', { className: 'jp-mod-styled sg-SizingForm-profile', attrs: { 'aria-label': 'Profile' } });
    this._profileSelect.addEventListener('change', () => this._selectProfile(this._profileSelect.value));
    this._autoscale = h('input', { attrs: { type: 'checkbox', 'aria-label': 'Autoscale executors' } });
    this._autoscale.addEventListener('change', () => this._update());
    this._autoscaleRow = h(
      'label',
      { className: 'sg-SizingForm-row sg-SizingForm-toggle', title: 'Spark dynamic allocation between a minimum and a maximum' },
      this._autoscale,
      h('span', { text: 'Autoscale (dynamic allocation)' })
    );
    this._launchButton = h('button', { className: 'jp-mod-styled jp-mod-accept sg-SizingForm-launch', text: 'Launch' });
    this._launchButton.addEventListener('click', () => this._launch());

    const rows: HTMLElement[] = [];
    for (const spec of FIELDS) {
      const input = h('input', {
        className: 'jp-mod-styled',
        attrs: { type: 'number', step: spec.step, min: spec.min, 'aria-label': spec.label, 'data-field': spec.field }
      });
      input.addEventListener('input', () => this._update());
      const message = h('div', { className: 'sg-SizingForm-message', attrs: { role: 'alert' } });
      const row = h('label', { className: 'sg-SizingForm-row' }, h('span', { text: spec.label }), input, message);
      this._inputs.set(spec.field, { spec, input, message, row });
      if (spec.field === 'driver.memoryMiB') {
        rows.push(row, this._executorsHeader, this._autoscaleRow);
      } else {
        rows.push(row);
      }
    }
    this.node.append(
      h('label', { className: 'sg-SizingForm-row sg-SizingForm-profileRow' }, h('span', { text: 'Profile' }), this._profileSelect),
      this._profileNote,
      h('div', { className: 'sg-SizingForm-section', text: 'Driver' }),
      ...rows,
      h('div', { className: 'sg-SizingForm-section', text: 'Totals' }),
      this._totals,
      this._formMessage,
      this._launchButton
    );
    this._update();
  }

  /** Emitted when the user clicks Launch on a valid form. */
  get launchRequested(): ISignal<this, ISharedShape> {
    return this._launchRequested;
  }

  /** The current validation result. */
  get check(): ISizingCheck | null {
    return this._check;
  }

  /**
   * Sets the profiles, limits and usage to validate against. Keeps what the user typed if the
   * selected profile still exists.
   */
  setMe(me: IMe | null): void {
    this._me = me;
    const profiles = me?.profiles ?? [];
    replaceChildren(
      this._profileSelect,
      ...profiles.map(p => h('option', { text: p.displayName, attrs: { value: p.id } }))
    );
    if (this._draft && profiles.some(p => p.id === this._draft?.profile)) {
      this._profileSelect.value = this._draft.profile;
      this._update();
    } else if (profiles[0]) {
      this._selectProfile(profiles[0].id);
    } else {
      this._draft = null;
      this._update();
    }
  }

  /**
   * Fills the form with a shared shape (e.g. from notebook metadata). Returns why it could not,
   * or `null`; validation against this user's limits then shows what must change.
   */
  fill(shape: ISharedShape): string | null {
    const profile = this._profile(shape.profile);
    if (!profile) {
      return `This notebook was launched with profile '${shape.profile}', which you cannot use; pick another profile.`;
    }
    this._profileSelect.value = profile.id;
    this._writeDraft(draftFromSizing(profile, shape.sizing));
    return null;
  }

  /** Disables Launch while a launch is in flight. */
  setBusy(busy: boolean): void {
    this._busy = busy;
    this._launchButton.textContent = busy ? 'Launching…' : 'Launch';
    this._update();
  }

  /**
   * Shows a message under the form: an `error` (e.g. the gateway's refusal) or `info`;
   * `null` clears it.
   */
  setMessage(message: string | null, kind: 'error' | 'info' = 'error'): void {
    this._formMessage.textContent = message ?? '';
    this._formMessage.classList.toggle('sg-mod-info', kind === 'info');
  }

  private _profile(id: string): IProfile | undefined {
    return this._me?.profiles.find(p => p.id === id);
  }

  private _selectProfile(id: string): void {
    const profile = this._profile(id);
    if (profile) {
      this._profileSelect.value = id;
      this._writeDraft(draftFromProfile(profile));
    }
  }

  private _writeDraft(draft: ISizingDraft): void {
    this._autoscale.checked = draft.autoscale;
    for (const [field, { input }] of this._inputs) {
      input.value = String(Private.get(draft, field));
    }
    this._update();
  }

  private _readDraft(): ISizingDraft | null {
    const profile = this._profile(this._profileSelect.value);
    if (!profile) {
      return null;
    }
    const draft = draftFromProfile(profile);
    draft.autoscale = this._autoscale.checked;
    for (const [field, { input }] of this._inputs) {
      // Number('') is 0; an empty field must read as missing, not as zero.
      Private.set(draft, field, input.value.trim() === '' ? Number.NaN : Number(input.value));
    }
    return draft;
  }

  /** Re-validates and re-renders messages, totals and the Launch button. */
  private _update(): void {
    this._draft = this._readDraft();
    const me = this._me;
    const profile = this._draft ? this._profile(this._draft.profile) : undefined;
    this._check = this._draft && me ? checkSizing(this._draft, { profile, limits: me.limits, usage: me.usage }) : null;

    const spark = profile?.spark ?? true;
    for (const { spec, message, row } of this._inputs.values()) {
      const isExecutor = spec.field.startsWith('executors.');
      const modeHidden = spec.mode !== undefined && (spec.mode === 'autoscale') !== this._autoscale.checked;
      row.classList.toggle('sg-mod-hidden', (isExecutor && !spark) || modeHidden);
      const msgs = this._check ? issuesFor(this._check, spec.field) : [];
      message.textContent = msgs.join('; ');
      row.classList.toggle('sg-mod-invalid', msgs.length > 0);
    }
    this._autoscaleRow.classList.toggle('sg-mod-hidden', !spark);
    this._executorsHeader.classList.toggle('sg-mod-hidden', !spark);
    this._profileNote.textContent = profile
      ? `Kernel ${profile.kernelspec}${profile.maxExecutors !== null ? ` · up to ${profile.maxExecutors} executors` : ''}${
          profile.warm ? ` · ${profile.warm} warm (at this profile's sizing, ready at once)` : ''
        }`
      : me
        ? 'No profiles are available to you.'
        : 'Loading profiles…';
    this._renderTotals();
    this._launchButton.disabled = this._busy || !this._check?.valid;
  }

  private _renderTotals(): void {
    const check = this._check;
    const me = this._me;
    if (!check || !me) {
      replaceChildren(this._totals);
      return;
    }
    const left = remaining(me.limits, me.usage);
    const rows = RESOURCE_KEYS.map(key => {
      const min = check.minTotals[key];
      const max = check.totals[key];
      const asked = min === max ? formatAmount(key, max) : `${formatAmount(key, min)}–${formatAmount(key, max)}`;
      const avail = left[key] === null ? 'no limit' : `${formatAmount(key, left[key] ?? 0)} available`;
      const msgs = issuesFor(check, key);
      return h(
        'div',
        { className: `sg-SizingForm-total${msgs.length ? ' sg-mod-invalid' : ''}`, attrs: { 'data-resource': key } },
        h('span', { className: 'sg-SizingForm-totalLabel', text: RESOURCE_LABELS[key] }),
        h('span', { className: 'sg-SizingForm-totalValue', text: asked }),
        h('span', { className: 'sg-SizingForm-totalAvail', text: avail }),
        msgs.length ? h('div', { className: 'sg-SizingForm-message', text: msgs.join('; '), attrs: { role: 'alert' } }) : null
      );
    });
    replaceChildren(this._totals, ...rows);
  }

  private _launch(): void {
    const draft = this._draft;
    if (!draft || !this._check?.valid || this._busy) {
      return;
    }
    this._launchRequested.emit({ profile: draft.profile, sizing: sizingFromDraft(draft, this._profile(draft.profile)) });
  }

  private _me: IMe | null = null;
  private _draft: ISizingDraft | null = null;
  private _check: ISizingCheck | null = null;
  private _busy = false;
  private _profileSelect: HTMLSelectElement;
  private _autoscale: HTMLInputElement;
  private _launchButton: HTMLButtonElement;
  private _inputs = new Map<SizingField, Private.IFieldView>();
  private _autoscaleRow: HTMLElement;
  private _executorsHeader = h('div', { className: 'sg-SizingForm-section', text: 'Executors' });
  private _profileNote = h('div', { className: 'sg-SizingForm-note' });
  private _totals = h('div', { className: 'sg-SizingForm-totals' });
  private _formMessage = h('div', { className: 'sg-SizingForm-message sg-SizingForm-formMessage', attrs: { role: 'alert' } });
  private _launchRequested = new Signal<this, ISharedShape>(this);
}

namespace Private {
  export interface IFieldSpec {
    field: SizingField;
    label: string;
    step: string;
    min: string;
    /** Shown only in this executor mode. */
    mode?: 'fixed' | 'autoscale';
  }

  export interface IFieldView {
    spec: IFieldSpec;
    input: HTMLInputElement;
    message: HTMLElement;
    row: HTMLElement;
  }

  export function get(draft: ISizingDraft, field: SizingField): number {
    const [group, key] = field.split('.') as ['driver' | 'executors', string];
    return (draft[group] as Record<string, number>)[key] ?? Number.NaN;
  }

  export function set(draft: ISizingDraft, field: SizingField, value: number): void {
    const [group, key] = field.split('.') as ['driver' | 'executors', string];
    (draft[group] as Record<string, number>)[key] = value;
  }
}
