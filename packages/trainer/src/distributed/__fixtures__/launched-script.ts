// A program for the launcher tests: reports its environment, then behaves as the mode argument says.
import { existsSync, writeFileSync } from 'node:fs';

const mode = process.argv[2];
const rank = Number(process.env.RANK);
const { WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, MSN_RESTART_COUNT, MSN_DIST_BACKEND } = process.env;
console.log(
  `rank ${rank} of ${WORLD_SIZE}, local ${LOCAL_RANK} of ${LOCAL_WORLD_SIZE}, master ${MASTER_ADDR}:${MASTER_PORT}, ` +
    `restart ${MSN_RESTART_COUNT}, backend ${MSN_DIST_BACKEND ?? '-'}, args ${process.argv.slice(3).join(' ')}`,
);
const stayAlive = () => setTimeout(() => console.log('still alive after 30 s'), 30_000);

if (mode === 'ok') {
  console.error(`stderr of rank ${rank}`);
} else if (mode === 'fail') {
  if (rank === 1) setTimeout(() => process.exit(3), 200);
  else stayAlive();
} else if (mode === 'flaky') {
  if (rank === 1 && MSN_RESTART_COUNT === '0') process.exit(4);
} else if (mode === 'wait') {
  console.log('ready');
  stayAlive();
} else if (mode === 'stubborn') {
  // Rank 0 ignores SIGTERM; rank 1 fails once rank 0's handler is in place (a marker file says so).
  const marker = process.argv[3]!;
  if (rank === 0) {
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    writeFileSync(marker, 'ready');
    stayAlive();
  } else {
    const poll = setInterval(() => {
      if (!existsSync(marker)) return;
      clearInterval(poll);
      process.exit(5);
    }, 20);
  }
}
