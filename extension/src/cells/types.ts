/**
 * Per-cell Spark progress as the extension sees it: the contract's `cell:progress` payload under
 * this extension's `I`-prefixed names. Types only, so pure modules and unit tests import it freely.
 */

import type { CellJob, CellProgress, CellStage, TaskCounts } from '@sparkgate/contract';

/** Tasks of a job or a stage; `done` counts completed and skipped tasks. */
export type ITaskCounts = TaskCounts;

/** One stage of a cell's job. */
export type ICellStage = CellStage;

/** One Spark job a cell ran. */
export type ICellJob = CellJob;

/** The Spark jobs of one cell of one cluster (`cell:progress`). */
export type ICellProgress = CellProgress;

/** The translation seam of the cell progress strings (defined once in ../trans.ts). */
export type { ITrans } from '../trans';
