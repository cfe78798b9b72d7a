// Rebuilds a built-in transform from its serialisable spec inside a worker thread.
import { MSNTransform, type MSNTransformOptions } from './msn-transform';
import { PlainTransform, type PlainTransformOptions } from './plain-transform';
import type { TransformSpec, ViewTransform } from './view-transform';

/** The transform a {@link TransformSpec} describes. */
export function transformFromSpec(spec: TransformSpec): ViewTransform<unknown> {
  return spec.kind === 'msn' ? new MSNTransform(spec.options as MSNTransformOptions) : new PlainTransform(spec.options as PlainTransformOptions);
}
