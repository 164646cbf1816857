/**
 * The user settings of sparkgate-lab (schema/plugin.json), read once and on every change.
 */

/** The settings, validated. */
export interface ISparkgateSettings {
  /** The profile the Spark panel selects first and `sparkgate:launch` launches; `null`: the first. */
  defaultProfile: string | null;
  /** Whether running cells show their Spark jobs' progress under them. */
  showCellProgress: boolean;
}

/** The defaults, as in schema/plugin.json. */
export const DEFAULT_SETTINGS: Readonly<ISparkgateSettings> = { defaultProfile: null, showCellProgress: true };

/**
 * Settings from the registry's composite value; a value of the wrong type (a hand-edited file
 * the registry let through) falls back to its default rather than breaking the extension.
 */
export function parseSettings(composite: unknown): ISparkgateSettings {
  const o = composite && typeof composite === 'object' && !Array.isArray(composite) ? (composite as Record<string, unknown>) : {};
  const profile = o.defaultProfile;
  return {
    defaultProfile: typeof profile === 'string' && profile.trim() !== '' ? profile.trim() : DEFAULT_SETTINGS.defaultProfile,
    showCellProgress: typeof o.showCellProgress === 'boolean' ? o.showCellProgress : DEFAULT_SETTINGS.showCellProgress
  };
}
