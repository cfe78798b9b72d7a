/** Prints an argument's value for an error message: strings quoted, arrays inline, tensors as dtype and shape. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(',')}]`;
  // A tensor prints its dtype and shape, not its (possibly huge, multi-line) values.
  if (typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value) {
    const { shape, dtype } = value as { shape: unknown; dtype: unknown };
    if (Array.isArray(shape)) return `${String(dtype)} tensor [${shape.join(',')}]`;
  }
  return String(value);
}
