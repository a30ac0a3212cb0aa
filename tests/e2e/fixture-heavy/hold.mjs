// Holds VQ_E2E_HOLD_MIB (default 300) MiB for VQ_E2E_HOLD_MS (default 800) ms. The buffer is
// filled, not only allocated: an allocation alone maps zero pages the kernel never backs.
import { setTimeout as sleep } from 'node:timers/promises'

export async function hold() {
  const mib = Number(process.env.VQ_E2E_HOLD_MIB || 300)
  const ms = Number(process.env.VQ_E2E_HOLD_MS || 800)
  const held = Buffer.allocUnsafe(mib * 1024 * 1024)
  held.fill(0x5a)
  await sleep(ms)
  return held.length
}
