import { test, expect } from 'vitest'
import { hold } from '../hold.mjs'

test('file a holds its memory for a moment', async () => {
  expect(await hold()).toBeGreaterThan(0)
})
