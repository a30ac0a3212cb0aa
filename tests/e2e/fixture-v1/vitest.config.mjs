// Ask for MANY workers, so that without vq forcing one worker the test files
// run concurrently (the default on a 2-core machine would already be 1 worker,
// and the "one worker" check could then never fail).
// Plain object: no import of vitest/config needed.
export default {
  test: {
    include: ['test/**/*.test.mjs'],
    pool: 'forks',
    fileParallelism: true,
    poolOptions: {
      forks: { maxForks: 4, minForks: 1 },
    },
    watch: false,
  },
}
