// @file WGSL for ATTENTION_FORWARD_KERNEL and ATTENTION_BACKWARD_KERNEL: the heads are read in place from [q | k | v] rows.

// Why: the op chain splits q, k and v into heads (slice, reshape, transpose each), multiplies as batched products,
// runs softmax and merges the heads back (transpose, reshape): ~15 dispatches and as many copies per block forward,
// ~30 backward. These are two dispatches each way. A workgroup takes QUERY_BLOCK query rows of one (sample, head), so
// the keys and values it reads serve all of those rows. Layouts (float32, row-major), with D = H·dh and W = 3D:
//   projections [B·L, W]: q, k, v of token l of sample b, head h, feature t at (b·L + l)·W + {0, D, 2D} + h·dh + t
//   probabilities and scores gradients [B·H, M, L]: query m, key j of (b, h) at ((b·H + h)·M + m)·L + j
//   context rows and their gradient [B·M, D]: query m of sample b, head h, feature t at (b·M + m)·D + h·dh + t
import type { AttentionKernelAttributes } from '@msn/vit';
import { FLAT_WORKGROUP_INDEX, flatDispatch, type WebGPUProgramShape } from './webgpu-program';

const WORKGROUP_SIZE = 64;
// Workgroup memory holds QUERY_BLOCK rows of dh floats; WebGPU guarantees 16 KiB of it.
const WORKGROUP_FLOATS = 2048;

/** Query rows per workgroup for head size `headDim` (fewer for very wide heads, so the row tile fits). */
export function queryBlock(headDim: number): number {
  if (headDim * 4 <= WORKGROUP_FLOATS) return 4;
  if (headDim <= WORKGROUP_FLOATS) return 1;
  throw new Error(`attention kernels: headDim ${headDim} exceeds the ${WORKGROUP_FLOATS} floats a workgroup tile holds`);
}

interface Layout {
  batchSize: number;
  length: number;
  heads: number;
  headDim: number;
  queries: number;
  scale: number;
  block: number;
  queryBlocks: number;
}

function layoutOf(sizes: AttentionKernelAttributes): Layout {
  const block = queryBlock(sizes.headDim);
  return {
    batchSize: sizes.batchSize,
    length: sizes.sequenceLength,
    heads: sizes.numHeads,
    headDim: sizes.headDim,
    queries: sizes.queryLength,
    scale: sizes.scale,
    block,
    queryBlocks: Math.ceil(sizes.queryLength / block),
  };
}

function keyOf(name: string, layout: Layout): string {
  return `msnAttention_${name}_${layout.batchSize}_${layout.length}_${layout.heads}_${layout.headDim}_${layout.queries}_${layout.scale}`;
}

// Constants every program bakes in (the shader key names them all).
function constants(layout: Layout): string {
  const hidden = layout.heads * layout.headDim;
  return `
    const B = ${layout.batchSize};
    const L = ${layout.length};
    const H = ${layout.heads};
    const DH = ${layout.headDim};
    const M = ${layout.queries};
    const D = ${hidden};
    const W = ${3 * hidden};
    const QB = ${layout.block};
    const QUERY_BLOCKS = ${layout.queryBlocks};
    const SCALE = f32(${layout.scale});
    const THREADS = ${WORKGROUP_SIZE};
    var<workgroup> partial : array<f32, ${WORKGROUP_SIZE}>;
    var<workgroup> rowTile : array<f32, ${layout.block * layout.headDim}>;

    // partial[0] ← the sum (or the maximum) of partial[0..THREADS) (THREADS is a power of two).
    fn reduceSum(tid : i32) {
      for (var size = THREADS >> 1; size > 0; size = size >> 1) {
        if (tid < size) { partial[tid] = partial[tid] + partial[tid + size]; }
        workgroupBarrier();
      }
    }
    fn reduceMax(tid : i32) {
      for (var size = THREADS >> 1; size > 0; size = size >> 1) {
        if (tid < size) { partial[tid] = max(partial[tid], partial[tid + size]); }
        workgroupBarrier();
      }
    }
  `;
}

// A program with one workgroup per (sample, head, block of QB query rows) writing [B·H, M, L] rows: `rowValue(m, t)`
// fills the tile, `dot` rows of keys-like vectors give raw scores, and `finish` turns each row into its result.
function squareProgram(name: string, variableNames: string[], layout: Layout, body: string): WebGPUProgramShape {
  const workgroups = layout.batchSize * layout.heads * layout.queryBlocks;
  return {
    variableNames,
    outputShape: [layout.batchSize * layout.heads, layout.queries, layout.length],
    shaderKey: keyOf(name, layout),
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: flatDispatch(workgroups),
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    getUserCode: () => `
    ${constants(layout)}
    fn main(index : i32) {
      // The sizes are constants; touching the uniforms keeps their binding in the pipeline layout tfjs binds against.
      _ = uniforms.outShape;
      // Workgroups past the last (a partly used second dimension) recompute it and write nothing.
      let workgroup = ${FLAT_WORKGROUP_INDEX};
      let inRange = workgroup < B * H * QUERY_BLOCKS;
      let w = min(workgroup, B * H * QUERY_BLOCKS - 1);
      let bh = w / QUERY_BLOCKS;
      let b = bh / H;
      let h = bh % H;
      let m0 = (w % QUERY_BLOCKS) * QB;
      let tid = i32(localId.x);
      let rowsBase = (bh * M + m0) * L;
      ${body}
    }
    `,
  };
}

/** probabilities = softmax(scale·q·kᵀ) `[B·H, M, L]` from projections `[B·L, 3D]`. */
export function attentionProbabilitiesProgram(sizes: AttentionKernelAttributes): WebGPUProgramShape {
  const layout = layoutOf(sizes);
  return squareProgram(
    'probabilities',
    ['projections'],
    layout,
    `
      // torch scales the query before the product.
      for (var e = tid; e < QB * DH; e += THREADS) {
        let m = min(m0 + e / DH, M - 1);
        rowTile[e] = projections[(b * L + m) * W + h * DH + e % DH] * SCALE;
      }
      workgroupBarrier();
      // Raw scores; each thread keeps to its own keys j ≡ tid (mod THREADS) until the rows are normalised.
      for (var j = tid; j < L; j += THREADS) {
        let keyBase = (b * L + j) * W + D + h * DH;
        var scores : array<f32, QB>;
        for (var t = 0; t < DH; t++) {
          let key = projections[keyBase + t];
          for (var r = 0; r < QB; r++) { scores[r] += rowTile[r * DH + t] * key; }
        }
        for (var r = 0; r < QB; r++) {
          if (inRange && m0 + r < M) { result[rowsBase + r * L + j] = scores[r]; }
        }
      }
      for (var r = 0; r < QB; r++) {
        let valid = inRange && m0 + r < M;
        let row = rowsBase + r * L;
        var localMax = -3.402823e38;
        if (valid) { for (var j = tid; j < L; j += THREADS) { localMax = max(localMax, result[row + j]); } }
        partial[tid] = localMax;
        workgroupBarrier();
        reduceMax(tid);
        let rowMax = partial[0];
        workgroupBarrier();
        var localSum = 0.0;
        if (valid) {
          for (var j = tid; j < L; j += THREADS) {
            let e = exp(result[row + j] - rowMax);
            result[row + j] = e;
            localSum += e;
          }
        }
        partial[tid] = localSum;
        workgroupBarrier();
        reduceSum(tid);
        let inverseSum = 1.0 / partial[0];
        workgroupBarrier();
        if (valid) { for (var j = tid; j < L; j += THREADS) { result[row + j] = result[row + j] * inverseSum; } }
      }
    `,
  );
}

/** dS = P ⊙ (dP − Σ_j dP ⊙ P) `[B·H, M, L]` with dP = dC·vᵀ, from the context gradient, probabilities and projections. */
export function attentionScoresGradientProgram(sizes: AttentionKernelAttributes): WebGPUProgramShape {
  const layout = layoutOf(sizes);
  return squareProgram(
    'scoresGradient',
    ['contextGradient', 'probabilities', 'projections'],
    layout,
    `
      for (var e = tid; e < QB * DH; e += THREADS) {
        let m = min(m0 + e / DH, M - 1);
        rowTile[e] = contextGradient[(b * M + m) * D + h * DH + e % DH];
      }
      workgroupBarrier();
      var localSums : array<f32, QB>;
      for (var j = tid; j < L; j += THREADS) {
        let valueBase = (b * L + j) * W + 2 * D + h * DH;
        var products : array<f32, QB>;
        for (var t = 0; t < DH; t++) {
          let value = projections[valueBase + t];
          for (var r = 0; r < QB; r++) { products[r] += rowTile[r * DH + t] * value; }
        }
        for (var r = 0; r < QB; r++) {
          if (inRange && m0 + r < M) {
            result[rowsBase + r * L + j] = products[r];
            localSums[r] += products[r] * probabilities[rowsBase + r * L + j];
          }
        }
      }
      for (var r = 0; r < QB; r++) {
        let valid = inRange && m0 + r < M;
        let row = rowsBase + r * L;
        partial[tid] = localSums[r];
        workgroupBarrier();
        reduceSum(tid);
        let rowSum = partial[0];
        workgroupBarrier();
        if (valid) {
          for (var j = tid; j < L; j += THREADS) { result[row + j] = probabilities[row + j] * (result[row + j] - rowSum); }
        }
      }
    `,
  );
}

// A program with one workgroup per (sample, block of QB rows, part or head) writing rows of features: each thread
// takes features t ≡ tid (mod THREADS) and sums, for each of its rows, `coefficient(row, n) · operand(n, t)` over n.
function rowsProgram(
  name: string,
  variableNames: string[],
  layout: Layout,
  shape: { rows: number; parts: number; width: number },
  body: string,
): WebGPUProgramShape {
  const blocks = Math.ceil(shape.rows / layout.block);
  const workgroups = layout.batchSize * blocks * shape.parts * layout.heads;
  return {
    variableNames,
    outputShape: [layout.batchSize * shape.rows, shape.width],
    shaderKey: keyOf(name, layout),
    dispatchLayout: { x: [0, 1] },
    dispatch: flatDispatch(workgroups),
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    getUserCode: () => `
    ${constants(layout)}
    const ROWS = ${shape.rows};
    const BLOCKS = ${blocks};
    const PARTS = ${shape.parts};
    const WIDTH = ${shape.width};
    fn main(index : i32) {
      _ = uniforms.outShape;
      let workgroup = ${FLAT_WORKGROUP_INDEX};
      let inRange = workgroup < B * BLOCKS * PARTS * H;
      let w = min(workgroup, B * BLOCKS * PARTS * H - 1);
      let b = w / (BLOCKS * PARTS * H);
      let i0 = ((w / (PARTS * H)) % BLOCKS) * QB;
      let part = (w / H) % PARTS;
      let h = w % H;
      let tid = i32(localId.x);
      for (var t = tid; t < DH; t += THREADS) {
        var sums : array<f32, QB>;
        ${body}
        for (var r = 0; r < QB; r++) {
          if (inRange && i0 + r < ROWS) { result[(b * ROWS + i0 + r) * WIDTH + part * D + h * DH + t] = sums[r]; }
        }
      }
    }
    `,
  };
}

/** context = P·v `[B·M, D]` (heads concatenated) from probabilities `[B·H, M, L]` and projections `[B·L, 3D]`. */
export function attentionContextProgram(sizes: AttentionKernelAttributes): WebGPUProgramShape {
  const layout = layoutOf(sizes);
  return rowsProgram(
    'context',
    ['probabilities', 'projections'],
    layout,
    { rows: layout.queries, parts: 1, width: layout.heads * layout.headDim },
    `
        let square = (b * H + h) * M;
        for (var j = 0; j < L; j++) {
          let value = projections[(b * L + j) * W + 2 * D + h * DH + t];
          for (var r = 0; r < QB; r++) { sums[r] += probabilities[(square + min(i0 + r, M - 1)) * L + j] * value; }
        }
    `,
  );
}

/**
 * [dq | dk | dv] `[B·L, 3D]` from the scores gradient dS and probabilities P `[B·H, M, L]`, the projections and the
 * context gradient: dq = scale·dS·k (zero past the first M rows), dk = scale·dSᵀ·q, dv = Pᵀ·dC.
 */
export function attentionProjectionsGradientProgram(sizes: AttentionKernelAttributes): WebGPUProgramShape {
  const layout = layoutOf(sizes);
  return rowsProgram(
    'projectionsGradient',
    ['scoresGradient', 'probabilities', 'projections', 'contextGradient'],
    layout,
    { rows: layout.length, parts: 3, width: 3 * layout.heads * layout.headDim },
    `
        let square = (b * H + h) * M;
        if (part == 0) {
          for (var j = 0; j < L; j++) {
            let key = projections[(b * L + j) * W + D + h * DH + t];
            for (var r = 0; r < QB; r++) { sums[r] += scoresGradient[(square + min(i0 + r, M - 1)) * L + j] * key; }
          }
          for (var r = 0; r < QB; r++) { sums[r] = select(0.0, sums[r] * SCALE, i0 + r < M); }
        } else if (part == 1) {
          for (var m = 0; m < M; m++) {
            let query = projections[(b * L + m) * W + h * DH + t];
            for (var r = 0; r < QB; r++) { sums[r] += scoresGradient[(square + m) * L + min(i0 + r, L - 1)] * query; }
          }
          for (var r = 0; r < QB; r++) { sums[r] = sums[r] * SCALE; }
        } else {
          for (var m = 0; m < M; m++) {
            let gradient = contextGradient[(b * M + m) * D + h * DH + t];
            for (var r = 0; r < QB; r++) { sums[r] += probabilities[(square + m) * L + min(i0 + r, L - 1)] * gradient; }
          }
        }
    `,
  );
}
