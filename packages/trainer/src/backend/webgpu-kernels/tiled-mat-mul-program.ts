// @file WGSL for BatchMatMul and _FusedMatMul (bias only) on webgpu: 64×64 output tiles blocked in workgroup memory.

// Why: tfjs-backend-webgpu 4.22's default product (MatMulPackedProgram) computes 32×32 tiles with 64 threads, so
// every input element is read from memory N/32 + M/32 times; a ViT's linear layers (thousands of rows, widths of
// 384–1536) are the bulk of a step's arithmetic. 64×64 tiles with 256 threads and 4×4 outputs per thread halve
// those reads. Either operand may be transposed: the tiles are
// loaded along whichever axis is contiguous, so flagged products read memory in order too. Each thread owns rows
// ty + 16i and columns tx + 16j (not a 4×4 block), so neighbouring threads read neighbouring workgroup-memory words
// and write neighbouring outputs; tile rows are padded to 65 words so the transposing stores do not share a bank.
import type { WebGPUProgramShape } from './webgpu-program';

export const TILE = 64;
const DEPTH = 16;
const THREADS_PER_SIDE = 16;
const PER_THREAD = TILE / THREADS_PER_SIDE;
const PADDED = TILE + 1;
/** Threads per workgroup the program needs (the device must allow that many invocations). */
export const TILED_MAT_MUL_THREADS = THREADS_PER_SIDE * THREADS_PER_SIDE;

/** One product `[batch, M, K]·[batch, K, N] → [batch, M, N]` (operands read as stored when flagged transposed). */
export interface TiledMatMulShape {
  batch: number;
  /** Batches of each operand: `batch`, or 1 for one broadcast to all. */
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Adds a bias `[N]` (the program's third input) to every row. */
  bias: boolean;
  /** The result's shape (`[batch…, M, N]`, as the kernel returns it). */
  outputShape: number[];
}

/** The program and its uniforms (M, N, K and each operand's batch count). */
export function tiledMatMulProgram(shape: TiledMatMulShape): { program: WebGPUProgramShape; uniforms: { type: string; data: number[] }[] } {
  const { batch, m, n, transposeA, transposeB, bias } = shape;
  // A tile is stored [DEPTH][PADDED] (depth-major) for both operands; loads walk the contiguous axis of the operand.
  const loadA = transposeA
    ? 'let r = e % TILE; let d = e / TILE; tileA[d * PADDED + r] = readA(batchA, row0 + r, k0 + d);'
    : 'let d = e % DEPTH; let r = e / DEPTH; tileA[d * PADDED + r] = readA(batchA, row0 + r, k0 + d);';
  const loadB = transposeB
    ? 'let d = e % DEPTH; let c = e / DEPTH; tileB[d * PADDED + c] = readB(batchB, k0 + d, col0 + c);'
    : 'let c = e % TILE; let d = e / TILE; tileB[d * PADDED + c] = readB(batchB, k0 + d, col0 + c);';
  const program: WebGPUProgramShape = {
    variableNames: bias ? ['a', 'b', 'bias'] : ['a', 'b'],
    outputShape: shape.outputShape,
    shaderKey: `msnTiledMatMul_${transposeA}_${transposeB}_${bias}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [Math.ceil(n / TILE), Math.ceil(m / TILE), batch],
    workgroupSize: [THREADS_PER_SIDE, THREADS_PER_SIDE, 1],
    uniforms: 'dimM : i32, dimN : i32, dimK : i32, batchesA : i32, batchesB : i32,',
    getUserCode: () => `
    const TILE = ${TILE};
    const PADDED = ${PADDED};
    const DEPTH = ${DEPTH};
    const SIDE = ${THREADS_PER_SIDE};
    const PER_THREAD = ${PER_THREAD};
    const LOADS = ${(TILE * DEPTH) / TILED_MAT_MUL_THREADS};
    var<workgroup> tileA : array<f32, ${PADDED * DEPTH}>;
    var<workgroup> tileB : array<f32, ${PADDED * DEPTH}>;

    fn readA(batch : i32, row : i32, depth : i32) -> f32 {
      if (row >= uniforms.dimM || depth >= uniforms.dimK) { return 0.0; }
      let base = batch * uniforms.dimM * uniforms.dimK;
      return a[${transposeA ? 'base + depth * uniforms.dimM + row' : 'base + row * uniforms.dimK + depth'}];
    }
    fn readB(batch : i32, depth : i32, col : i32) -> f32 {
      if (col >= uniforms.dimN || depth >= uniforms.dimK) { return 0.0; }
      let base = batch * uniforms.dimN * uniforms.dimK;
      return b[${transposeB ? 'base + col * uniforms.dimK + depth' : 'base + depth * uniforms.dimN + col'}];
    }

    fn main(index : i32) {
      let tx = i32(localId.x);
      let ty = i32(localId.y);
      let tid = ty * SIDE + tx;
      let col0 = i32(workgroupId.x) * TILE;
      let row0 = i32(workgroupId.y) * TILE;
      let batch = i32(workgroupId.z);
      let batchA = select(batch, 0, uniforms.batchesA == 1);
      let batchB = select(batch, 0, uniforms.batchesB == 1);
      var sums : array<f32, ${PER_THREAD * PER_THREAD}>;
      for (var k0 = 0; k0 < uniforms.dimK; k0 += DEPTH) {
        for (var load = 0; load < LOADS; load++) {
          let e = tid + load * SIDE * SIDE;
          ${loadA}
        }
        for (var load = 0; load < LOADS; load++) {
          let e = tid + load * SIDE * SIDE;
          ${loadB}
        }
        workgroupBarrier();
        for (var d = 0; d < DEPTH; d++) {
          var left : array<f32, PER_THREAD>;
          var right : array<f32, PER_THREAD>;
          for (var i = 0; i < PER_THREAD; i++) {
            left[i] = tileA[d * PADDED + ty + i * SIDE];
            right[i] = tileB[d * PADDED + tx + i * SIDE];
          }
          for (var i = 0; i < PER_THREAD; i++) {
            for (var j = 0; j < PER_THREAD; j++) { sums[i * PER_THREAD + j] += left[i] * right[j]; }
          }
        }
        workgroupBarrier();
      }
      for (var i = 0; i < PER_THREAD; i++) {
        let row = row0 + ty + i * SIDE;
        for (var j = 0; j < PER_THREAD; j++) {
          let col = col0 + tx + j * SIDE;
          if (row < uniforms.dimM && col < uniforms.dimN) {
            result[(batch * uniforms.dimM + row) * uniforms.dimN + col] = sums[i * PER_THREAD + j]${bias ? ' + bias[col]' : ''};
          }
        }
      }
    }
    `,
  };
  return {
    program,
    // One entry per field: tfjs aligns a multi-value entry as a vector, which would not match the scalar fields.
    uniforms: [m, n, shape.k, shape.batchA, shape.batchB].map((value) => ({ type: 'int32', data: [value] })),
  };
}
