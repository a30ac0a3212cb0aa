import { test, expect } from 'vitest'
import { work } from '../../work.mjs'

test('file a sleeps and records its interval', async () => {
  await work('a')
  expect(1 + 1).toBe(2)
})
