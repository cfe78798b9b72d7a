// A broken prior module: it exports something else.
export const exponent = 0.25;
