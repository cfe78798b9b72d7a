// A broken prior module: it does not parse.
export default (q) => {
