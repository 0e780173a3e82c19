/**
 * The translator of each op the `onednn` backend runs, keyed `domain::opType` (`''` for ai.onnx):
 * data, not a switch, so the capability check and the translation share one list.
 * @module
 */
import type { Translator } from './translate-builder.js';
import { FUSED_TRANSLATORS } from './translate-fused.js';
import { INT8_TRANSLATORS } from './translate-int8.js';
import { LINEAR_TRANSLATORS } from './translate-linear.js';
import { STANDARD_TRANSLATORS } from './translate-ops.js';

/** Every translator, keyed `domain::opType`. */
export const TRANSLATORS: ReadonlyMap<string, Translator> = new Map<string, Translator>([
  ...[...STANDARD_TRANSLATORS].map(([k, t]) => [`::${k}`, t] as [string, Translator]),
  ...LINEAR_TRANSLATORS,
  ...FUSED_TRANSLATORS,
  ...INT8_TRANSLATORS,
]);
