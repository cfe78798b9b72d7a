// A custom prior as a CommonJS export.
const tf = require('@tensorflow/tfjs-core');

module.exports = { prior: (meanAnchorProbs) => tf.fill([meanAnchorProbs.size], 1 / meanAnchorProbs.size) };
