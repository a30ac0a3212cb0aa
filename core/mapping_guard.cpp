#include "mapping_guard.h"

#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <mutex>

namespace vq {
namespace {

struct GuardedRange {
  std::atomic<char*> start{nullptr};
  std::atomic<std::size_t> size{0};
  std::atomic<bool> lost{false};
};

constexpr int k_max_ranges = 8;
GuardedRange g_ranges[k_max_ranges];
std::once_flag g_installed;

// Async-signal-safe: atomics and mmap only. The kernel retries the faulting access when the
// handler returns: on the zero pages it now reads, or, outside our ranges with the default
// action restored, it kills the process by SIGBUS as it would have without us.
void on_sigbus(int, siginfo_t* info, void*) {
  char* address = static_cast<char*>(info->si_addr);
  for (GuardedRange& range : g_ranges) {
    char* start = range.start.load();
    std::size_t size = range.size.load();
    if (start == nullptr || address < start || address >= start + size) continue;
    if (::mmap(start, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
               0) != MAP_FAILED) {
      range.lost.store(true);
      return;
    }
    break;
  }
  ::signal(SIGBUS, SIG_DFL);
}

void install() {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, nullptr);
}

}  // namespace

bool guard_mapping(void* start, std::size_t size) {
  std::call_once(g_installed, install);
  for (GuardedRange& range : g_ranges) {
    char* expected = nullptr;
    // Size first, so the handler never sees a start without its size.
    if (range.start.load() != nullptr) continue;
    range.size.store(size);
    range.lost.store(false);
    if (range.start.compare_exchange_strong(expected, static_cast<char*>(start))) return true;
  }
  return false;
}

void unguard_mapping(void* start) {
  for (GuardedRange& range : g_ranges) {
    if (range.start.load() == start) range.start.store(nullptr);
  }
}

bool take_mapping_lost(void* start) {
  for (GuardedRange& range : g_ranges) {
    if (range.start.load() == start) return range.lost.exchange(false);
  }
  return false;
}

}  // namespace vq
