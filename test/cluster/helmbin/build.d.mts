/** Helm release built from the Go module proxy. */
export declare const HELM_VERSION: string;
/** Kubernetes version Helm assumes offline (set by ldflags). */
export declare const HELM_KUBE_VERSION: { major: string; minor: string };
/** Per-version cache folder outside the repo. */
export declare function cacheDir(env?: NodeJS.ProcessEnv): string;
/** Cached `helm` path. */
export declare function helmPath(env?: NodeJS.ProcessEnv): string;
/** Builds Helm when missing; resolves its path. */
export declare function ensureHelmBinary(options?: { log?: (line: string) => void; env?: NodeJS.ProcessEnv }): Promise<string>;
