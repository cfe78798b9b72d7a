export { FIXTURE_TOLERANCE, expectClose, expectTensorClose } from './expect-close';
export type { CloseOptions, Tolerance } from './expect-close';
export { fixtureToTensor, fixturesRoot, listFixtures, readFixtureCases, readFixtureJson, readFixtures } from './fixtures';
export type { FixtureCase, FixtureCases, FixtureFile, FixtureTensor } from './fixtures';
export { describeEachBackend, embeddedBackends, fixtureBackends, useBackend } from './backends';
export type { TestBackend } from './backends';
export { expectNoLeakedTensors } from './leaks';
export { registerGradients } from './gradients';
