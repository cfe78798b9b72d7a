// A broken prior module: the export is a number.
export const prior = 0.25;
