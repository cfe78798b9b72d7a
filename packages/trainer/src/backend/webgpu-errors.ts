// @file Makes WebGPU's silent failures loud: errors of the device's 'uncapturederror' event fail the next step.

// Why: an invalid pipeline (e.g. a shader over the storage-buffer limit) or an out-of-memory buffer makes WebGPU drop
// the whole command buffer, other kernels' work included, and tfjs only logs Dawn's message. Training on would use
// stale weights without an error. The first such error is kept and thrown by the next check.
import { DeviceError } from '@msn/errors';

interface ErrorEventTarget {
  addEventListener(type: 'uncapturederror', listener: (event: { error?: { message?: string } }) => void): void;
}

const watched = new WeakSet<object>();
let firstError: DeviceError | undefined;

/** Listens to `device`'s uncaptured errors (once per device); the first is kept for {@link throwDeviceError}. */
export function watchDeviceErrors(device: ErrorEventTarget): void {
  if (watched.has(device)) return;
  watched.add(device);
  device.addEventListener('uncapturederror', (event) => {
    const message = event.error?.message?.split('\n')[0] ?? 'unknown error';
    firstError ??= new DeviceError(`webgpu: ${message} (the GPU dropped the commands it was given: results since then are invalid)`);
  });
}

/** Throws (once) the first uncaptured WebGPU error seen since the last call; does nothing on other backends. */
export function throwDeviceError(): void {
  const error = firstError;
  if (error === undefined) return;
  firstError = undefined;
  throw error;
}
