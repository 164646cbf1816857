/** Kubernetes version of the control-plane components (matches go.mod). */
export declare const K8S_VERSION: string;
/** Per-version cache folder outside the repo. */
export declare function cacheDir(env?: NodeJS.ProcessEnv): string;
/** Cached multi-call binary path for the current go.mod/go.sum/main.go. */
export declare function binaryPath(env?: NodeJS.ProcessEnv): string;
/** Builds the binary when missing; resolves its path. */
export declare function ensureK8sBinary(options?: { log?: (line: string) => void; env?: NodeJS.ProcessEnv }): Promise<string>;
