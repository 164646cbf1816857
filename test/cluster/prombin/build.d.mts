/** Prometheus release built from the Go module proxy. */
export declare const PROMETHEUS_VERSION: string;
/** Its Go module version (v0.316.0 for 3.16.0). */
export declare const PROMETHEUS_MODULE_VERSION: string;
/** Go build tags of the cached binary. */
export declare const PROMETHEUS_BUILD_TAGS: string;
/** Per-version cache folder outside the repo. */
export declare function cacheDir(env?: NodeJS.ProcessEnv): string;
/** Cached `prometheus` path. */
export declare function prometheusPath(env?: NodeJS.ProcessEnv): string;
/** Builds Prometheus when missing; resolves its path. */
export declare function ensurePrometheus(options?: { log?: (line: string) => void; env?: NodeJS.ProcessEnv }): Promise<string>;
