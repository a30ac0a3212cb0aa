// A test that launches vitest itself, for test_preload_launchers.sh's nested check.
// Inert unless VQ_E2E_NESTED is set:
//   VQ_E2E_NESTED=1          run `npx vitest run test/a.test.mjs` and expect exit 0: inside a
//                            queued run the inner launch must pass through, not wait for the
//                            slot its own parent holds.
//   VQ_E2E_NESTED=no-holder  control: the same launch without the VQ_HOLDER marker, with a short
//                            VQ_QUEUE_TIMEOUT; no assertion here, the script expects the inner
//                            run to wait and give up.
// The inner run gets VQ_E2E_NESTED unset (no recursion) and VQ_E2E_RUN=<outer run>-inner. Its
// stdout, stderr and exit status go to $VQ_E2E_NESTED_OUT.{out,err,rc}; the outer test records
// "<run> nested <pid> <ppid> start|end <ms>" around it in $VQ_E2E_RECORD.
import { test, expect } from 'vitest'
import { spawnSync } from 'node:child_process'
import { appendFileSync, writeFileSync } from 'node:fs'

const mode = process.env.VQ_E2E_NESTED

function record(event) {
  const path = process.env.VQ_E2E_RECORD
  if (!path) return
  const run = process.env.VQ_E2E_RUN || '-'
  appendFileSync(path, `${run} nested ${process.pid} ${process.ppid} ${event} ${Date.now()}\n`)
}

test.runIf(mode === '1' || mode === 'no-holder')(
  'a test inside a queued run launches vitest, which completes',
  () => {
    const env = { ...process.env, VQ_E2E_RUN: `${process.env.VQ_E2E_RUN || '-'}-inner` }
    delete env.VQ_E2E_NESTED
    if (mode === 'no-holder') {
      delete env.VQ_HOLDER
      env.VQ_QUEUE_TIMEOUT = '5'
    }
    record('start')
    const child = spawnSync('npx', ['vitest', 'run', 'test/a.test.mjs'], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    })
    record('end')
    const status =
      child.status ?? `signal ${child.signal}${child.error ? ` (${child.error.message})` : ''}`
    const out = process.env.VQ_E2E_NESTED_OUT
    if (out) {
      writeFileSync(`${out}.out`, child.stdout ?? '')
      writeFileSync(`${out}.err`, child.stderr ?? '')
      writeFileSync(`${out}.rc`, `${status}\n`)
    }
    if (mode === '1') expect(status).toBe(0)
  },
  90_000,
)
