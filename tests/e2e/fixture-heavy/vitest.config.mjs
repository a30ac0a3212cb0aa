// Forks, so each run's memory is in its worker process, where the OOM killer would find it.
export default {
  test: {
    include: ['test/**/*.test.mjs'],
    pool: 'forks',
    watch: false,
  },
}
