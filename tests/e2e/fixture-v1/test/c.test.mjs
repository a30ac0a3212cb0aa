import { test, expect } from 'vitest'
import { work } from '../../work.mjs'

test('file c sleeps and records its interval', async () => {
  await work('c')
  expect(1 + 1).toBe(2)
})
