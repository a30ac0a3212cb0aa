// For test_preload_launchers.sh's transparency check: fails when VQ_E2E_FAIL=1, so the exit
// status of a failing run can be compared with and without the preload. Inert otherwise.
import { test, expect } from 'vitest'

test.runIf(process.env.VQ_E2E_FAIL === '1')('fails on request', () => {
  expect('failing on request').toBe('passing')
})
