// Types of lintTools.mjs (plain JS so that test/unit/prepare.mjs can run it before jest).
/** PyPI package → pinned version. */
export declare const LINT_PACKAGES: Record<string, string>;
/** The cached venv that holds the linters. */
export declare function lintVenv(): string;
/** Path of a linter's executable in the cached venv. */
export declare function lintBin(name: string): string;
/** Why the linters are not installed, or null when they are. */
export declare function lintInstallError(): string | null;
/** Installs the pinned linters into the cached venv when missing. */
export declare function ensureLintTools(options?: { python?: string; log?: (line: string) => void }): string;
