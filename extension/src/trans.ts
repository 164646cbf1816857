/**
 * The part of a `TranslationBundle` the extension's pure modules use (panel, status item, cell
 * progress, executors popup), defined once, and a stand-in that formats like JupyterLab's
 * `nullTranslator` (so pure modules and their tests need no JupyterLab runtime).
 */

import type { TranslationBundle } from '@jupyterlab/translation';

/** `trans.__` and `trans._n` of a `TranslationBundle` (domain `sparkgate_lab`). */
export type ITrans = Pick<TranslationBundle, '__' | '_n'>;

/** Untranslated strings, `%1`-style placeholders filled in as `nullTranslator` does. */
export const plainTrans: ITrans = {
  __: (msgid: string, ...args: unknown[]) => Private.format(msgid, args),
  _n: (msgid: string, plural: string, n: number, ...args: unknown[]) => Private.format(n === 1 ? msgid : plural, [n, ...args])
};

namespace Private {
  /** `%1`…`%n` → the arguments; `%%` → `%` (JupyterLab's `Gettext.strfmt`). */
  export function format(fmt: string, args: unknown[]): string {
    return fmt
      .replace(/%%/g, '%% ')
      .replace(/%(\d+)/g, (_, i: string) => String(args[Number(i) - 1]))
      .replace(/%% /g, '%');
  }
}
