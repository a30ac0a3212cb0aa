// Test-only pause points, for the reliability tests that SIGKILL a process stopped inside a table
// update. They exist only where VQ_TEST_HOOKS is defined, which no installed program is built with:
// tests/reliability compiles queue.cpp a second time with it, into a test-only shim. Everywhere
// else they are empty inline functions.
#pragma once

#ifdef VQ_TEST_HOOKS
#include <signal.h>

#include <cstdlib>
#include <cstring>
#endif

namespace vq::test_hooks {

#ifdef VQ_TEST_HOOKS
// When VQ_TEST_PAUSE_IN_UPDATE names `point`, the process stops itself (SIGSTOP) there, once,
// with the update lock held and the record half written, so a test can kill it at that instant.
inline void pause_in_update(const char* point) {
  static bool paused = false;
  const char* wanted = std::getenv("VQ_TEST_PAUSE_IN_UPDATE");
  if (paused || wanted == nullptr || std::strcmp(wanted, point) != 0) return;
  paused = true;
  ::raise(SIGSTOP);
}
#else
inline void pause_in_update(const char*) {}
#endif

}  // namespace vq::test_hooks
