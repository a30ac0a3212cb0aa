// Config for the preload e2e checks' own test files (nested/), selected explicitly with
// `vitest run --config vitest.nested.config.mjs`. Kept apart from test/ so that the default
// config, and test_real_vitest.sh's count of test files, never see them.
export default {
  test: {
    include: ['nested/**/*.test.mjs'],
    pool: 'forks',
    watch: false,
  },
}
