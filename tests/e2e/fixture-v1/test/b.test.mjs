import { test, expect } from 'vitest'
import { work } from '../../work.mjs'

test('file b sleeps and records its interval', async () => {
  await work('b')
  expect(1 + 1).toBe(2)
})
