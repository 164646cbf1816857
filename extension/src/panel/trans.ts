/**
 * Where the translation seam used to live; defined in `../trans` now. Kept so modules outside
 * the panel that still import it from here compile.
 */

export { plainTrans } from '../trans';
export type { ITrans } from '../trans';
