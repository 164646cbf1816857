/** A small client of Spark's monitoring REST API (`/api/v1`), served by the driver's UI. */

import type { JobProgress } from '@sparkgate/contract';
import { toExecutorInfo, type SparkExecutorData, type SparkExecutorInfo } from './executorInfo.js';

/** Progress of the job a cluster is running now; one definition, shared with the extension. */
export type { JobProgress };

/** A job as `/applications/<app>/jobs` describes it (the fields the gateway reads). */
export interface SparkJob {
  jobId: number;
  name: string;
  /** `RUNNING`, `SUCCEEDED`, `FAILED`, `UNKNOWN`. */
  status: string;
  /** e.g. `2026-12-03T00:03:40.045GMT`. */
  submissionTime?: string;
  completionTime?: string;
  /** Tags of the job (SparkContext.addJobTag on the thread that ran it). */
  jobTags?: string[];
  numTasks: number;
  numActiveTasks: number;
  numCompletedTasks: number;
  numSkippedTasks: number;
  numFailedTasks?: number;
  /** Distinct partitions done (retries and speculative copies count once). */
  numCompletedIndices?: number;
  numCompletedStages: number;
  numSkippedStages: number;
  stageIds: number[];
}

/** One attempt of a stage as `/applications/<app>/stages` describes it (the fields the gateway reads). */
export interface SparkStage {
  stageId: number;
  attemptId: number;
  name: string;
  /** `ACTIVE`, `COMPLETE`, `FAILED`, `PENDING`, `SKIPPED`. */
  status: string;
  numTasks: number;
  numActiveTasks: number;
  numCompleteTasks: number;
  numFailedTasks: number;
  numCompletedIndices?: number;
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
  // The rest is optional for test fakes of the older surface; `sparkRestClient` has all of them.
  // Each answers null when Spark does not (down, 404, not JSON).
  /** Jobs Spark keeps (`spark.ui.retainedJobs`), newest first; only running ones with `running`. */
  jobs?(appId: string, only?: 'running'): Promise<SparkJob[] | null>;
  /** One job. */
  job?(appId: string, jobId: number): Promise<SparkJob | null>;
  /** Stages in one status, without task details. */
  stages?(appId: string, status: 'active' | 'pending'): Promise<SparkStage[] | null>;
  /** The attempts of one stage, without task details. */
  stage?(appId: string, stageId: number): Promise<SparkStage[] | null>;
  /** The application's active executors (and the driver). */
  executors?(appId: string): Promise<SparkExecutorInfo[] | null>;
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
    },
    async jobs(appId, only) {
      return list<SparkJob>(`/applications/${encodeURIComponent(appId)}/jobs${only ? `?status=${only}` : ''}`, isJob);
    },
    async job(appId, jobId) {
      const job = await get(`/applications/${encodeURIComponent(appId)}/jobs/${jobId}`).catch(() => null);
      return isJob(job) ? job : null;
    },
    async stages(appId, status) {
      return list<SparkStage>(`/applications/${encodeURIComponent(appId)}/stages?status=${status}&details=false`, isStage);
    },
    async stage(appId, stageId) {
      return list<SparkStage>(`/applications/${encodeURIComponent(appId)}/stages/${stageId}?details=false`, isStage);
    },
    async executors(appId) {
      const all = await list<SparkExecutorData>(`/applications/${encodeURIComponent(appId)}/executors`, isExecutor);
      return all === null ? null : all.map(toExecutorInfo);
    }
  };

  /** A JSON array's entries that have the shape `is` checks; null when the answer is no array. */
  async function list<T>(path: string, is: (value: unknown) => value is T): Promise<T[] | null> {
    const value = await get(path).catch(() => null);
    return Array.isArray(value) ? value.filter(is) : null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isJob(value: unknown): value is SparkJob {
  return isRecord(value) && typeof value.jobId === 'number' && typeof value.status === 'string' && Array.isArray(value.stageIds);
}

function isStage(value: unknown): value is SparkStage {
  return isRecord(value) && typeof value.stageId === 'number' && typeof value.status === 'string';
}

function isExecutor(value: unknown): value is SparkExecutorData {
  return isRecord(value) && typeof value.id === 'string';
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
