// Types of wheelInstall.mjs (plain ESM so that test/e2e/prepare.mjs shares it); keep in step.

/** The packages of a plain JupyterLab image, pinned as in images/jupyterlab/requirements.txt. */
export const PLAIN_LAB_PACKAGES: string[];

/** `name==version` for each of PLAIN_LAB_PACKAGES. */
export function plainLabPins(root: string): string[];

/** process.env without PYTHONPATH, JUPYTER_PATH and the like, plus `extra`. */
export function isolatedEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;

export interface PlainLabVenv {
  dir: string;
  python: string;
  pins: string[];
}

/** The cached clean venv with a plain JupyterLab, created on first use. */
export function ensurePlainLabVenv(options: { root: string; basePython: string; cacheDir?: string; log?: (msg: string) => void }): PlainLabVenv;

/** Builds extension/dist/sparkgate_lab-<version>-py3-none-any.whl with `npm run build:wheel -w extension`. */
export function buildWheel(options: { root: string; pathPrefix: string }): string;

/** Replaces any sparkgate_lab in the venv by `wheel`, offline. */
export function installWheel(python: string, wheel: string): void;
