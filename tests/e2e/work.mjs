// Shared body of both fixtures' test files: record when this file's test starts and
// ends, sleeping in between, so the runner script can measure concurrency.
// Each record line: <run> <file> <pid> <ppid> <start|end> <epoch-ms>
// Written to the file named by VQ_E2E_RECORD (nothing is written when unset).
// <run> comes from VQ_E2E_RUN (set per run by test_real_vitest.sh), else "-".
import { appendFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

function record(file, event) {
  const path = process.env.VQ_E2E_RECORD
  if (!path) return
  const run = process.env.VQ_E2E_RUN || '-'
  // One short appendFileSync (O_APPEND) per line: lines from concurrent
  // workers and runs do not interleave.
  appendFileSync(path, `${run} ${file} ${process.pid} ${process.ppid} ${event} ${Date.now()}\n`)
}

export async function work(file) {
  const ms = Number(process.env.VQ_E2E_SLEEP_MS || 800)
  record(file, 'start')
  await sleep(ms)
  record(file, 'end')
}
