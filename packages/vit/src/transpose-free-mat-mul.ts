// @file Whether the active backend's matMul reads transposed operands in place, so x·Wᵀ needs no explicit transpose.
import * as tf from '@tensorflow/tfjs-core';

// Why: the stock wasm kernels run a flagged product ~12x slower than an unflagged one, so linear.ts and the encoder
// block transpose weights and gradients explicitly (a copy per product). A native BLAS (e.g. @msn/trainer's kernels
// for wasm) reads either layout at full speed, and the copies are then pure overhead. The set lives on globalThis
// under a registered symbol so that every installed copy of this package sees the same declarations.
const DECLARED = Symbol.for('msn.transposeFreeMatMul');

function declaredBackends(): Set<string> {
  const holder = globalThis as { [DECLARED]?: Set<string> };
  holder[DECLARED] ??= new Set<string>();
  return holder[DECLARED];
}

/**
 * Declares that the BatchMatMul and _FusedMatMul kernels of `backendName` handle `transposeA`/`transposeB` as fast as
 * plain operands (`free: true`), or withdraws that (`free: false`). Whoever replaces those kernels calls this.
 *
 * @example declareTransposeFreeMatMul('wasm', true); // linear layers now multiply by flagged weights
 */
export function declareTransposeFreeMatMul(backendName: string, free: boolean): void {
  if (free) declaredBackends().add(backendName);
  else declaredBackends().delete(backendName);
}

/** Whether the active backend was declared transpose-free ({@link declareTransposeFreeMatMul}). */
export function isTransposeFreeMatMul(): boolean {
  return declaredBackends().has(tf.getBackend());
}
