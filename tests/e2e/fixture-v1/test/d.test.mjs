import { test, expect } from 'vitest'
import { work } from '../../work.mjs'

test('file d sleeps and records its interval', async () => {
  await work('d')
  expect(1 + 1).toBe(2)
})
