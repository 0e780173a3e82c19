/**
 * Pattern fusions of the `extended` level, run before the activation fusions: GELU (erf and tanh
 * forms), decomposed LayerNorm, and scaled-dot-product attention. Each becomes the standard ONNX op
 * where the model's ai.onnx opset has it (Gelu 20, LayerNormalization 17, Attention 23) and the
 * `optiflow` op of the same semantics before; every fusion asks the capability oracle first.
 * @module
 */
import { ATTENTION_RULE } from './fuse-patterns-attention.js';
import { GELU_RULE } from './fuse-patterns-gelu.js';
import { LAYERNORM_RULES } from './fuse-patterns-layernorm.js';
import type { RewriteRule } from './pass-manager.js';

/** GELU, LayerNorm and attention pattern fusions (rules anchored at each pattern's last node). */
export const PATTERN_FUSION_RULES: readonly RewriteRule[] = [GELU_RULE, ...LAYERNORM_RULES, ATTENTION_RULE];
