// Loads the package's WebAssembly SIMD kernels (kernels/simd-kernels.c) and moves tensors in and out of their memory.
import * as tf from '@tensorflow/tfjs-core';
import { SIMD_KERNELS_WASM_BASE64 } from './simd-kernels-wasm';

// Why a module of our own: tfjs-backend-wasm 4.22 lacks fast kernels for what a ViT step needs most after its linear
// layers (small batched matrix products, erf, exp). The kernels run in their own WebAssembly memory: operands are
// copied in from tensors and results copied out into new tensors, which is cheap next to the work. Only used on
// backends whose tensors live in JavaScript-visible memory ('wasm', 'cpu'), where reading a tensor is a copy, not a
// GPU sync; elsewhere callers use tfjs ops.

/** The kernels' exports (pointers and sizes are byte offsets and element counts in `memory`). */
export interface SimdKernels {
  memory: WebAssemblyMemory;
  __heap_base: { value: number };
  batched_matmul: (...args: number[]) => void;
  softmax_rows: (rowCount: number, length: number, data: number) => void;
  softmax_backward: (rowCount: number, length: number, gradient: number, probabilities: number, out: number) => void;
}

// The few WebAssembly members used here (tfjs-core's lib settings have no WebAssembly types).
interface WebAssemblyMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE_BYTES = 65536;
const KERNEL_BACKENDS = new Set(['wasm', 'cpu']);
let kernels: SimdKernels | null | undefined;

// Compiled on first use; null when this runtime cannot (no WebAssembly or no SIMD), and callers fall back to tfjs ops.
function loadKernels(): SimdKernels | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined || typeof atob !== 'function') return kernels;
  const binary = atob(SIMD_KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  try {
    if (!api.validate(bytes)) return kernels;
    // Synchronous compilation: the module is under the 4 KiB browsers allow on the main thread.
    kernels = new api.Instance(new api.Module(bytes), {}).exports as SimdKernels;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Whether the SIMD kernels run on the current backend (else callers use tfjs ops). */
export function simdKernelsAvailable(): boolean {
  return KERNEL_BACKENDS.has(tf.getBackend()) && loadKernels() !== null;
}

/** The kernels; throws when this runtime has none (check {@link simdKernelsAvailable} first). */
export function simdKernels(): SimdKernels {
  const module = loadKernels();
  if (module === null) throw new Error('@msn/vit: the WebAssembly SIMD kernels are not available in this runtime');
  return module;
}

/**
 * Float offsets of consecutive regions of the given sizes in the kernels' memory, each 16-byte aligned and padded to a
 * multiple of 4 floats (plus 4 floats after the last, which vector loads may read past a row end), and a view of the
 * memory. Memory grows as needed; wasm memory never shrinks, so it stays at the largest call seen (a few MiB at ViT-S
 * sizes).
 */
export function reserve(module: SimdKernels, sizes: number[]): { heap: Float32Array; offsets: number[] } {
  const offsets: number[] = [];
  let next = Math.ceil(module.__heap_base.value / 16) * 4;
  for (const size of sizes) {
    offsets.push(next);
    next += Math.ceil(size / 4) * 4;
  }
  const needed = (next + 4) * 4 - module.memory.buffer.byteLength;
  if (needed > 0) module.memory.grow(Math.ceil(needed / PAGE_BYTES));
  return { heap: new Float32Array(module.memory.buffer), offsets };
}

/** Copies a float32 tensor's values to `heap[offset…]`. */
export function copyIn(heap: Float32Array, offset: number, tensor: tf.Tensor): void {
  heap.set(tensor.dataSync() as Float32Array, offset);
}

/** A new float32 tensor of the given shape from `heap[offset…]`. */
export function copyOut<R extends tf.Rank>(heap: Float32Array, offset: number, shape: number[]): tf.Tensor<R> {
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  // The wasm backend copies new tensor values into its own heap at once, so a view suffices there; the cpu backend
  // keeps the array it is given, so it gets a copy (the kernels' memory is reused by the next call).
  const values = tf.getBackend() === 'wasm' ? heap.subarray(offset, offset + size) : heap.slice(offset, offset + size);
  const result: tf.Tensor = tf.tensor(values, shape, 'float32');
  return result as tf.Tensor<R>;
}

// Floats of the kernels' memory one call may use (64 MiB): larger batches run in chunks of samples, so the memory,
// which wasm never returns, stays bounded whatever the model and batch size.
let memoryBudget = 16 * 2 ** 20;

/** Sets the kernels' memory budget in floats (tests use a tiny one to exercise chunking); returns the previous one. */
export function setKernelMemoryBudget(floats: number): number {
  const previous = memoryBudget;
  memoryBudget = floats;
  return previous;
}

/** A tensor whose values are `perSample` consecutive floats per sample (sample-major). */
export interface SampleMajor {
  perSample: number;
}

/** Offsets (in floats) of one chunk's regions in the kernels' memory, and its number of samples. */
export interface SampleChunk {
  module: SimdKernels;
  inputs: number[];
  outputs: number[];
  temporaries: number[];
  scratch: number;
  samples: number;
}

/**
 * Runs `body` over consecutive chunks of the batch, each sized so the kernels' memory stays within the budget (see
 * {@link setKernelMemoryBudget}; at least one sample per chunk): the chunk's values of every input are copied in, `body` computes the chunk's outputs
 * (regions zero-filled first when `zeroed`) using per-sample `temporaries` and a fixed `scratch` region, and the
 * outputs are copied out. Returns the outputs as tensors. One chunk (the usual case) copies each input and output
 * once; more chunks add one copy per output.
 */
export function runInSampleChunks(options: {
  batchSize: number;
  inputs: (SampleMajor & { tensor: tf.Tensor })[];
  outputs: (SampleMajor & { shape: number[]; zeroed?: boolean })[];
  temporaries?: number[];
  scratch: number;
  body: (chunk: SampleChunk) => void;
}): tf.Tensor[] {
  const { batchSize, inputs, outputs, temporaries = [], scratch, body } = options;
  const module = simdKernels();
  const perSample = [...inputs.map((input) => input.perSample), ...outputs.map((output) => output.perSample), ...temporaries].reduce(
    (total, floats) => total + floats + 4,
    0,
  );
  const chunk = Math.max(1, Math.min(batchSize, Math.floor((memoryBudget - scratch) / perSample)));
  const layoutFor = (samples: number) =>
    reserve(module, [
      ...inputs.map((input) => input.perSample * samples),
      ...outputs.map((output) => output.perSample * samples),
      ...temporaries.map((floats) => floats * samples),
      scratch,
    ]);
  const run = (heap: Float32Array, offsets: number[], samples: number) => {
    const outputOffsets = offsets.slice(inputs.length, inputs.length + outputs.length);
    outputs.forEach((output, index) => {
      if (output.zeroed === true) heap.fill(0, outputOffsets[index]!, outputOffsets[index]! + output.perSample * samples);
    });
    body({
      module,
      inputs: offsets.slice(0, inputs.length),
      outputs: outputOffsets,
      temporaries: offsets.slice(inputs.length + outputs.length, -1),
      scratch: offsets.at(-1)!,
      samples,
    });
  };
  if (chunk === batchSize) {
    const { heap, offsets } = layoutFor(batchSize);
    inputs.forEach((input, index) => copyIn(heap, offsets[index]!, input.tensor));
    run(heap, offsets, batchSize);
    return outputs.map((output, index) => copyOut(heap, offsets[inputs.length + index]!, output.shape));
  }
  const values = inputs.map((input) => input.tensor.dataSync() as Float32Array);
  const results = outputs.map((output) => new Float32Array(output.perSample * batchSize));
  const { heap, offsets } = layoutFor(chunk);
  for (let start = 0; start < batchSize; start += chunk) {
    const samples = Math.min(chunk, batchSize - start);
    inputs.forEach((input, index) => heap.set(values[index]!.subarray(start * input.perSample, (start + samples) * input.perSample), offsets[index]!));
    run(heap, offsets, samples);
    outputs.forEach((output, index) => {
      const offset = offsets[inputs.length + index]!;
      results[index]!.set(heap.subarray(offset, offset + samples * output.perSample), start * output.perSample);
    });
  }
  return outputs.map((output, index) => tf.tensor(results[index]!, output.shape, 'float32'));
}
