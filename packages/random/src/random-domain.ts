// @file One registry of key domains, so that streams keyed by the same seed for different purposes never coincide.

/** The first key of every counter-based stream and derived seed the packages draw. */
export const RANDOM_DOMAIN = { augment: 1, shuffle: 2, synthetic: 3, stepMasks: 4, rankMasks: 5, subset: 6, evaluationSubset: 7, folderSplit: 8 } as const;
