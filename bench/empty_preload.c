/* Benchmark baseline: a preload library that does nothing, linked like libvq-preload.so.
 * What it costs is the price of LD_PRELOAD itself (the dynamic linker opening and mapping one
 * more library in every process); the benchmark shows vq's hooks against it. */
int vq_bench_empty_preload(void) {
  return 0;
}
