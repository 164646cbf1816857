/**
 * The sizing form: profile cards, driver, executors (fixed or autoscale), totals next to the
 * quota left, and Launch with the reason it is disabled. Validated on every input against the
 * tenant's limits and usage, and the largest node when the gateway knows it (see `sizing.ts`).
 * Memory is typed in GiB; the API gets MiB.
 *
 * A profile with options (issue 18) offers exactly what they allow: inputs bounded by
 * `min`/`max`, selects for choices (numbers and GPU types), and the fields it fixes as read-only
 * text, so the whole shape shows; a profile without options gets every field as an input.
 */

import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { IMe, IProfile, ISharedShape } from '../api';
import { h, replaceChildren } from '../dom';
import { draftValue, fieldControl, fixedNotes, gpuTypeControl, splitField } from '../options';
import type { IFieldControl, IGpuTypeControl } from '../options';
import { checkSizing, draftFromProfile, draftFromSizing, gibToMiB, issuesFor, MEMORY_STEP_GIB, mibToGiB, sizingFromDraft } from '../sizing';
import type { ISizingCheck, ISizingDraft, SizingField } from '../sizing';
import { capacityRows, launchBlocker, profileFacts } from './labels';
import type { ITrans } from '../trans';

/**
 * Sizing form widget. Emits {@link SizingForm.launchRequested} with a valid shape.
 */
export class SizingForm extends Widget {
  constructor(options: SizingForm.IOptions) {
    super();
    this.addClass('sg-SizingForm');
    const trans = (this._trans = options.trans);
    this._defaultProfile = options.defaultProfile ?? (() => null);
    const uid = Private.nextId();
    this._radioName = `sg-profile-${uid}`;

    this._autoscale = h('input', { attrs: { type: 'checkbox', id: `sg-autoscale-${uid}` } });
    this._autoscale.addEventListener('change', () => this._update());
    this._autoscaleRow = h(
      'div',
      { className: 'sg-SizingForm-row sg-SizingForm-toggle' },
      this._autoscale,
      h('label', { text: trans.__('Autoscale (Spark dynamic allocation)'), attrs: { for: this._autoscale.id } })
    );
    this._blocker = h('div', { className: 'sg-SizingForm-blocker', attrs: { id: `sg-launch-why-${uid}` } });
    this._launchButton = h('button', {
      className: 'jp-mod-styled jp-mod-accept sg-SizingForm-launch',
      text: trans.__('Launch'),
      attrs: { type: 'button', 'aria-describedby': this._blocker.id }
    });
    this._launchButton.addEventListener('click', () => this._launch());

    this._uid = uid;
    this._driverGroup = h('fieldset', { className: 'sg-SizingForm-group' });
    this._executorsGroup = h('fieldset', { className: 'sg-SizingForm-group' });
    this._renderFields(undefined);
    this._totalsHead = h(
      'div',
      { className: 'sg-SizingForm-total sg-SizingForm-totalsHead', attrs: { 'aria-hidden': 'true' } },
      h('span', { text: '' }),
      h('span', { text: trans.__('This launch') }),
      h('span', { className: 'sg-SizingForm-totalAvail', text: trans.__('Free for you') })
    );
    this.node.append(
      this._profiles,
      this._profileNote,
      h('h3', { className: 'sg-SizingForm-section', text: trans.__('Sizing (editable)') }),
      this._hint,
      this._driverGroup,
      this._executorsGroup,
      h('h3', { className: 'sg-SizingForm-section', text: trans.__('Totals') }),
      this._totals,
      this._targetNote,
      this._formMessage,
      this._launchButton,
      this._blocker
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

  /** The shape the form holds, or `null` if it is not valid. */
  get shape(): ISharedShape | null {
    const draft = this._draft;
    if (!draft || !this._check?.valid) {
      return null;
    }
    return { profile: draft.profile, sizing: sizingFromDraft(draft, this._profile(draft.profile)) };
  }

  /**
   * Sets the profiles, limits and usage to validate against. Keeps what the user typed if the
   * selected profile still exists; otherwise selects the default profile (setting), else the first.
   */
  setMe(me: IMe | null): void {
    this._me = me;
    const profiles = me?.profiles ?? [];
    const keep = this._draft && profiles.some(p => p.id === this._draft?.profile) ? this._draft.profile : null;
    this._renderProfiles(profiles);
    const kept = keep ? this._profile(keep) : undefined;
    if (keep && kept) {
      this._checkRadio(keep);
      const draft = this._draft;
      if (this._renderFields(kept) && draft) {
        // The profile's options changed under the user: what it allows now, from what they typed.
        this._writeDraft(draftFromSizing(kept, sizingFromDraft(draft, kept)));
        return;
      }
      this._update();
      return;
    }
    const preferred = this._defaultProfile();
    const first = profiles.find(p => p.id === preferred) ?? profiles[0];
    if (first) {
      this.selectProfile(first.id);
    } else {
      this._draft = null;
      this._update();
    }
  }

  /** Selects a profile at its defaults; `false` if it is not one of the user's. */
  selectProfile(id: string): boolean {
    const profile = this._profile(id);
    if (!profile) {
      return false;
    }
    this._checkRadio(id);
    this._renderFields(profile);
    this._writeDraft(draftFromProfile(profile));
    return true;
  }

  /**
   * Fills the form with a shared shape (e.g. from notebook metadata). Validation against this
   * user's limits and the profile's options then shows what must change (a value outside an
   * option's bound stays, named at its field). Returns why it could not fill (`error`), and
   * what the profile fixes otherwise than the shape asked (`notes`).
   */
  fill(shape: ISharedShape): SizingForm.IFillResult {
    const profile = this._profile(shape.profile);
    if (!profile) {
      return {
        error: this._trans.__("This notebook was launched with profile '%1', which you cannot use; pick another profile.", shape.profile),
        notes: []
      };
    }
    this._checkRadio(profile.id);
    this._renderFields(profile);
    this._writeDraft(draftFromSizing(profile, shape.sizing));
    return { error: null, notes: fixedNotes(profile, shape.sizing, this._trans) };
  }

  /**
   * Says which notebook Launch will switch to the new cluster (`null`: a new notebook opens).
   * `onClear` is offered as "Open a new notebook instead".
   */
  setTarget(name: string | null, onClear?: () => void): void {
    if (name === null) {
      replaceChildren(this._targetNote);
      return;
    }
    const clear = h('button', { className: 'sg-SizingForm-linkButton', text: this._trans.__('Open a new notebook instead'), attrs: { type: 'button' } });
    clear.addEventListener('click', () => onClear?.());
    replaceChildren(this._targetNote, h('span', { text: this._trans.__('Launch switches %1 to the new cluster.', name) }), ' ', clear);
  }

  /** Disables Launch while a launch request is in flight. */
  setBusy(busy: boolean): void {
    this._busy = busy;
    this._launchButton.textContent = busy ? this._trans.__('Launching…') : this._trans.__('Launch');
    this._update();
  }

  /**
   * Shows a message under the form: an `error` (e.g. the gateway's refusal) or `info`;
   * `null` clears it.
   */
  setMessage(message: string | null, kind: 'error' | 'info' = 'error'): void {
    this._formMessage.textContent = message ?? '';
    this._formMessage.classList.toggle('sg-mod-info', kind === 'info');
    this._formMessage.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  private _profile(id: string): IProfile | undefined {
    return this._me?.profiles.find(p => p.id === id);
  }

  private _selectedId(): string | null {
    const checked = this._profiles.querySelector<HTMLInputElement>('input[type="radio"]:checked');
    return checked?.value ?? null;
  }

  private _checkRadio(id: string): void {
    for (const radio of this._profiles.querySelectorAll<HTMLInputElement>('input[type="radio"]')) {
      radio.checked = radio.value === id;
      radio.closest('.sg-ProfileCard')?.classList.toggle('sg-mod-selected', radio.checked);
    }
  }

  private _renderProfiles(profiles: IProfile[]): void {
    const t = this._trans;
    const cards = profiles.map(p => {
      const facts = profileFacts(p, t);
      const radio = h('input', {
        className: 'sg-SizingForm-profileRadio',
        attrs: { type: 'radio', name: this._radioName, value: p.id, id: `${this._radioName}-${p.id}` }
      });
      radio.addEventListener('change', () => {
        if (radio.checked) {
          this.selectProfile(p.id);
        }
      });
      return h(
        'label',
        { className: 'sg-ProfileCard', attrs: { for: radio.id, 'data-profile': p.id } },
        radio,
        h(
          'span',
          { className: 'sg-ProfileCard-body' },
          h('span', { className: 'sg-ProfileCard-name', text: p.displayName }),
          h('span', { className: 'sg-ProfileCard-fact', text: facts.driver }),
          h('span', { className: 'sg-ProfileCard-fact', text: facts.executors }),
          facts.warm ? h('span', { className: 'sg-ProfileCard-fact sg-ProfileCard-warm', text: facts.warm }) : null
        )
      );
    });
    replaceChildren(this._profiles, h('legend', { text: t.__('Profile') }), ...cards);
  }

  /**
   * Builds the driver and executor rows for how `profile` offers each field; `true` if they
   * changed. Profiles without options share one layout, so switching between them keeps the
   * same inputs (and what has focus).
   */
  private _renderFields(profile: IProfile | undefined): boolean {
    const key = profile?.options ? JSON.stringify([profile.id, profile.options, profile.driver, profile.executors, profile.spark]) : 'free';
    if (key === this._layoutKey) {
      return false;
    }
    this._layoutKey = key;
    const t = this._trans;
    this._inputs.clear();
    this._gpuTypes.clear();
    const rows: Record<'driver' | 'executors', HTMLElement[]> = { driver: [], executors: [this._autoscaleRow] };
    for (const spec of Private.fields(t)) {
      const [group, name] = splitField(spec.field);
      const view = this._fieldView(spec, profile ? fieldControl(profile, spec.field) : { kind: 'free' });
      this._inputs.set(spec.field, view);
      rows[group].push(view.row);
      const gpuType = name === 'gpus' && profile ? this._gpuTypeView(group, gpuTypeControl(profile, group)) : null;
      if (gpuType) {
        this._gpuTypes.set(group, gpuType);
        rows[group].push(gpuType.row);
      }
    }
    replaceChildren(this._driverGroup, h('legend', { text: t.__('Driver') }), ...rows.driver);
    replaceChildren(this._executorsGroup, h('legend', { text: t.__('Executors') }), ...rows.executors);
    this._hint.textContent = profile?.options
      ? t.__("Starts at the profile's defaults; change the fields that have inputs, within their bounds. The profile sets the others.")
      : t.__("Starts at the profile's defaults; change any field for this launch.");
    return true;
  }

  /** One numeric field's row: an input (bounded by the option, if any), a select of its choices, or the profile's value as text. */
  private _fieldView(spec: Private.IFieldSpec, control: IFieldControl): Private.IFieldView {
    const id = `sg-${spec.field.replace('.', '-')}-${this._uid}`;
    const message = h('div', { className: 'sg-SizingForm-message', attrs: { id: `${id}-msg` } });
    const show = (n: number): string => String(spec.gib ? mibToGiB(n) : n);
    if (control.kind === 'fixed') {
      const row = h(
        'div',
        { className: 'sg-SizingForm-row sg-mod-fixed' },
        h('span', { className: 'sg-SizingForm-label', text: spec.label, attrs: { id: `${id}-label` } }),
        h('span', {
          className: 'sg-SizingForm-fixed',
          text: show(control.value),
          title: this._trans.__('Set by the profile'),
          attrs: { id, 'data-field': spec.field, 'aria-labelledby': `${id}-label`, 'aria-describedby': `${id}-msg` }
        }),
        message
      );
      return { spec, control, input: null, message, row };
    }
    let input: HTMLInputElement | HTMLSelectElement;
    if (control.kind === 'choices') {
      // Option values are what the draft holds (MiB for memory); the text is what the label's unit says.
      input = h(
        'select',
        { className: 'jp-mod-styled', attrs: { id, 'data-field': spec.field, 'aria-describedby': `${id}-msg` } },
        ...control.choices.map(n => h('option', { text: show(n), attrs: { value: String(n) } }))
      );
      input.addEventListener('change', () => this._update());
    } else {
      const attrs: Record<string, string> = { id, type: 'number', step: spec.step, min: spec.min, 'data-field': spec.field, 'aria-describedby': `${id}-msg` };
      if (control.kind === 'bounded') {
        if (control.min !== null) {
          attrs.min = String(Math.max(Number(spec.min), Number(show(control.min))));
        }
        if (control.max !== null) {
          attrs.max = show(control.max);
        }
      }
      input = h('input', { className: 'jp-mod-styled', attrs });
      if (spec.gib) {
        input.setAttribute('data-unit', 'GiB');
      }
      input.addEventListener('input', () => this._update());
    }
    const row = h('div', { className: 'sg-SizingForm-row' }, h('label', { text: spec.label, attrs: { for: id } }), input, message);
    return { spec, control, input, message, row };
  }

  /** The GPU type row of `group`: a select of the choices, or the profile's type as text; `null` when hidden. */
  private _gpuTypeView(group: 'driver' | 'executors', control: IGpuTypeControl): Private.IGpuTypeView | null {
    if (control.kind === 'hidden') {
      return null;
    }
    const t = this._trans;
    const label = group === 'driver' ? t.__('GPU type') : t.__('GPU type per executor');
    const id = `sg-${group}-gpuType-${this._uid}`;
    const message = h('div', { className: 'sg-SizingForm-message', attrs: { id: `${id}-msg` } });
    if (control.kind === 'fixed') {
      const row = h(
        'div',
        { className: 'sg-SizingForm-row sg-mod-fixed sg-mod-gpuType' },
        h('span', { className: 'sg-SizingForm-label', text: label, attrs: { id: `${id}-label` } }),
        h('span', {
          className: 'sg-SizingForm-fixed',
          text: control.value,
          title: t.__('Set by the profile'),
          attrs: { id, 'data-field': `${group}.gpuType`, 'aria-labelledby': `${id}-label` }
        }),
        message
      );
      return { group, select: null, message, row };
    }
    const select = h(
      'select',
      { className: 'jp-mod-styled', attrs: { id, 'data-field': `${group}.gpuType`, 'aria-describedby': `${id}-msg` } },
      ...control.choices.map(c => h('option', { text: c, attrs: { value: c } }))
    );
    select.addEventListener('change', () => this._update());
    const row = h('div', { className: 'sg-SizingForm-row sg-mod-gpuType' }, h('label', { text: label, attrs: { for: id } }), select, message);
    return { group, select, message, row };
  }

  private _writeDraft(draft: ISizingDraft): void {
    this._autoscale.checked = draft.autoscale;
    for (const [field, { spec, input }] of this._inputs) {
      const value = draftValue(draft, field);
      if (input instanceof HTMLSelectElement) {
        Private.selectValue(input, String(value), spec.gib ? String(mibToGiB(value)) : String(value), this._trans);
      } else if (input) {
        input.value = String(spec.gib ? mibToGiB(value) : value);
      }
    }
    for (const { group, select } of this._gpuTypes.values()) {
      const type = draft[group].gpuType;
      if (select) {
        Private.selectValue(select, type ?? '', type ?? this._trans.__('none'), this._trans);
      }
    }
    this._update();
  }

  private _readDraft(): ISizingDraft | null {
    const id = this._selectedId();
    const profile = id === null ? undefined : this._profile(id);
    if (!profile) {
      return null;
    }
    // Fields the profile fixes keep its values; with options the executor mode is its own too.
    const draft = draftFromProfile(profile);
    if (!profile.options) {
      draft.autoscale = this._autoscale.checked;
    }
    for (const [field, { spec, input }] of this._inputs) {
      if (input instanceof HTMLSelectElement) {
        Private.setValue(draft, field, Number(input.value));
      } else if (input) {
        // Number('') is 0; an empty field must read as missing, not as zero.
        const n = input.value.trim() === '' ? Number.NaN : Number(input.value);
        Private.setValue(draft, field, spec.gib ? gibToMiB(n) : n);
      }
    }
    for (const { group, select } of this._gpuTypes.values()) {
      if (select) {
        const type = select.value;
        if (type === '') {
          delete draft[group].gpuType;
        } else {
          draft[group].gpuType = type;
        }
      }
    }
    return draft;
  }

  /** Re-validates and re-renders messages, totals and the Launch button. */
  private _update(): void {
    const t = this._trans;
    this._draft = this._readDraft();
    const me = this._me;
    const profile = this._draft ? this._profile(this._draft.profile) : undefined;
    this._check = this._draft && me ? checkSizing(this._draft, { profile, limits: me.limits, usage: me.usage, nodes: me.nodes, trans: t }) : null;

    const spark = profile?.spark ?? true;
    const autoscale = this._draft?.autoscale ?? this._autoscale.checked;
    for (const { spec, input, message, row } of this._inputs.values()) {
      const modeHidden = spec.mode !== undefined && (spec.mode === 'autoscale') !== autoscale;
      row.classList.toggle('sg-mod-hidden', modeHidden);
      const [group, name] = splitField(spec.field);
      // A GPU type without a row of its own (not the user's to pick) is told at the GPUs.
      const typeHere = name === 'gpus' && !this._gpuTypes.has(group);
      const msgs = this._check ? [...issuesFor(this._check, spec.field), ...(typeHere ? issuesFor(this._check, `${group}.gpuType`) : [])] : [];
      message.textContent = msgs.join('; ');
      row.classList.toggle('sg-mod-invalid', msgs.length > 0);
      input?.setAttribute('aria-invalid', msgs.length > 0 ? 'true' : 'false');
    }
    for (const { group, select, message, row } of this._gpuTypes.values()) {
      const msgs = this._check ? issuesFor(this._check, `${group}.gpuType`) : [];
      message.textContent = msgs.join('; ');
      row.classList.toggle('sg-mod-invalid', msgs.length > 0);
      select?.setAttribute('aria-invalid', msgs.length > 0 ? 'true' : 'false');
    }
    // With options the profile sets the executor mode (its count, or min/max, is what they bound).
    this._autoscaleRow.classList.toggle('sg-mod-hidden', !!profile?.options);
    this._executorsGroup.classList.toggle('sg-mod-hidden', !spark);
    this._profileNote.textContent = profile
      ? [
          t.__('Kernel %1', profile.kernelspec),
          profile.maxExecutors !== null ? t.__('up to %1 executors', profile.maxExecutors) : '',
          profile.warm ? t.__("%1 warm (at this profile's sizing, ready at once)", profile.warm) : ''
        ]
          .filter(Boolean)
          .join(' · ')
      : me
        ? t.__('No profiles are available to you.')
        : t.__('Loading profiles…');
    this._renderTotals();
    const blocker = launchBlocker({ me, check: this._check, busy: this._busy }, t);
    this._launchButton.disabled = blocker !== null || !this._check?.valid;
    this._blocker.textContent = blocker ?? '';
  }

  private _renderTotals(): void {
    const check = this._check;
    const me = this._me;
    if (!check || !me) {
      replaceChildren(this._totals);
      return;
    }
    const rows = capacityRows(check, me, this._trans).map(r =>
      h(
        'div',
        { className: `sg-SizingForm-total${r.issues.length ? ' sg-mod-invalid' : ''}`, attrs: { 'data-resource': r.key } },
        h('span', { className: 'sg-SizingForm-totalLabel', text: r.label }),
        h('span', { className: 'sg-SizingForm-totalValue', text: r.asked }),
        h('span', { className: 'sg-SizingForm-totalAvail', text: r.left }),
        r.issues.length ? h('div', { className: 'sg-SizingForm-message', text: r.issues.join('; ') }) : null
      )
    );
    replaceChildren(this._totals, this._totalsHead, ...rows);
  }

  private _launch(): void {
    const shape = this.shape;
    if (!shape || this._busy) {
      return;
    }
    this._launchRequested.emit(shape);
  }

  private _trans: ITrans;
  private _defaultProfile: () => string | null;
  private _radioName: string;
  private _me: IMe | null = null;
  private _draft: ISizingDraft | null = null;
  private _check: ISizingCheck | null = null;
  private _busy = false;
  private _autoscale: HTMLInputElement;
  private _launchButton: HTMLButtonElement;
  private _blocker: HTMLElement;
  private _uid: number;
  private _layoutKey: string | null = null;
  private _inputs = new Map<SizingField, Private.IFieldView>();
  private _gpuTypes = new Map<'driver' | 'executors', Private.IGpuTypeView>();
  private _autoscaleRow: HTMLElement;
  private _driverGroup: HTMLElement;
  private _executorsGroup: HTMLElement;
  private _hint = h('div', { className: 'sg-SizingForm-hint' });
  private _totalsHead: HTMLElement;
  private _profiles = h('fieldset', { className: 'sg-SizingForm-profiles' });
  private _profileNote = h('div', { className: 'sg-SizingForm-note' });
  private _totals = h('div', { className: 'sg-SizingForm-totals' });
  private _targetNote = h('div', { className: 'sg-SizingForm-target', attrs: { role: 'status' } });
  private _formMessage = h('div', { className: 'sg-SizingForm-message sg-SizingForm-formMessage', attrs: { role: 'alert' } });
  private _launchRequested = new Signal<this, ISharedShape>(this);
}

/** A namespace for SizingForm statics. */
export namespace SizingForm {
  /** Options of a SizingForm. */
  export interface IOptions {
    trans: ITrans;
    /** The profile to select first (the `defaultProfile` setting); `null` for the first. */
    defaultProfile?: () => string | null;
  }

  /** What {@link SizingForm.fill} did. */
  export interface IFillResult {
    /** Why the shape could not be filled in (a profile the user cannot use); `null` if it was. */
    error: string | null;
    /** What the profile fixes otherwise than the shape asked (the form took the profile's value). */
    notes: string[];
  }
}

namespace Private {
  let counter = 0;

  /** A fresh suffix for element ids (labels point at inputs by id). */
  export function nextId(): number {
    counter += 1;
    return counter;
  }

  export interface IFieldSpec {
    field: SizingField;
    label: string;
    step: string;
    min: string;
    /** Typed in GiB, held in MiB. */
    gib?: boolean;
    /** Shown only in this executor mode. */
    mode?: 'fixed' | 'autoscale';
  }

  export interface IFieldView {
    spec: IFieldSpec;
    control: IFieldControl;
    /** `null` where the profile fixes the field (shown as text). */
    input: HTMLInputElement | HTMLSelectElement | null;
    message: HTMLElement;
    row: HTMLElement;
  }

  export interface IGpuTypeView {
    group: 'driver' | 'executors';
    /** `null` where the profile fixes the type (shown as text). */
    select: HTMLSelectElement | null;
    message: HTMLElement;
    row: HTMLElement;
  }

  /**
   * Selects `value`; one the select does not offer (a shape from another profile) is added as
   * "… (not offered)" so the user sees what was asked, and the check names the choices.
   */
  export function selectValue(select: HTMLSelectElement, value: string, text: string, t: ITrans): void {
    for (const extra of select.querySelectorAll('option[data-not-offered]')) {
      extra.remove();
    }
    if (![...select.options].some(o => o.value === value)) {
      select.append(h('option', { text: t.__('%1 (not offered)', text), attrs: { value, 'data-not-offered': 'true' } }));
    }
    select.value = value;
  }

  /** Form inputs, in display (and focus) order. */
  export function fields(t: ITrans): IFieldSpec[] {
    const gib = { step: String(MEMORY_STEP_GIB), min: String(MEMORY_STEP_GIB), gib: true };
    return [
      { field: 'driver.gpus', label: t.__('GPUs'), step: '1', min: '0' },
      { field: 'driver.cores', label: t.__('Cores'), step: '0.1', min: '0.1' },
      { field: 'driver.memoryMiB', label: t.__('Memory (GiB)'), ...gib },
      { field: 'executors.count', label: t.__('Executors'), step: '1', min: '0', mode: 'fixed' },
      { field: 'executors.min', label: t.__('Minimum executors'), step: '1', min: '0', mode: 'autoscale' },
      { field: 'executors.max', label: t.__('Maximum executors'), step: '1', min: '0', mode: 'autoscale' },
      { field: 'executors.gpus', label: t.__('GPUs per executor'), step: '1', min: '0' },
      { field: 'executors.cores', label: t.__('Cores per executor'), step: '1', min: '1' },
      { field: 'executors.memoryMiB', label: t.__('Memory per executor (GiB)'), ...gib }
    ];
  }

  export function setValue(draft: ISizingDraft, field: SizingField, value: number): void {
    const [group, key] = splitField(field);
    (draft[group] as unknown as Record<string, number>)[key] = value;
  }
}
