/** A small client of Spark's monitoring REST API (`/api/v1`), served by the driver's UI. */

import type { JobProgress } from '@sparkgate/contract';

/** Progress of the job a cluster is running now; one definition, shared with the extension. */
export type { JobProgress };

interface SparkJob {
  jobId: number;
  name: string;
  status: string;
  numTasks: number;
  numActiveTasks: number;
  numCompletedTasks: number;
  numSkippedTasks: number;
  numCompletedStages: number;
  numSkippedStages: number;
  stageIds: number[];
}

export interface SparkRestClient {
  /**
   * Whether the driver's UI answers at all (the SparkContext is starting or up). Asks the UI's root,
   * a redirect Jetty serves itself: `/api/v1` is a Jersey application that initializes on its first
   * request, seconds of driver CPU during a start. Absent (test fakes): `applicationId` decides.
   */
  uiUp?(): Promise<boolean>;
  /** The application id, or null while the SparkContext is not up. */
  applicationId(): Promise<string | null>;
  /** The newest running job, or null. */
  runningJob(appId: string): Promise<JobProgress | null>;
}

export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal; redirect?: 'manual' }
) => Promise<{ ok: boolean; json(): Promise<unknown>; text(): Promise<string> }>;

/** Talks to the UI at `hostPort`; every call is bounded by `timeoutMs`. */
export function sparkRestClient(hostPort: string, options: { fetch?: FetchLike; timeoutMs?: number } = {}): SparkRestClient {
  const doFetch = options.fetch ?? (fetch as FetchLike);
  const timeoutMs = options.timeoutMs ?? 2000;
  const get = async (path: string): Promise<unknown> => {
    const response = await doFetch(`http://${hostPort}/api/v1${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? response.json() : null;
  };
  return {
    async uiUp() {
      try {
        const response = await doFetch(`http://${hostPort}/`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
        await response.text(); // frees the connection
        return true;
      } catch {
        return false;
      }
    },
    async applicationId() {
      const apps = await get('/applications').catch(() => null);
      return Array.isArray(apps) && typeof apps[0]?.id === 'string' ? (apps[0].id as string) : null;
    },
    async runningJob(appId) {
      const jobs = await get(`/applications/${encodeURIComponent(appId)}/jobs?status=running`).catch(() => null);
      return Array.isArray(jobs) && jobs.length > 0 ? toProgress(jobs as SparkJob[]) : null;
    }
  };
}

/** Exported for testing: the newest running job as progress figures. */
export function toProgress(jobs: readonly SparkJob[]): JobProgress | null {
  const job = [...jobs].sort((a, b) => b.jobId - a.jobId)[0];
  if (!job) {
    return null;
  }
  return {
    id: job.jobId,
    name: job.name,
    stages: { done: job.numCompletedStages + job.numSkippedStages, total: job.stageIds.length },
    tasks: { done: job.numCompletedTasks + job.numSkippedTasks, running: job.numActiveTasks, total: job.numTasks }
  };
}
