// The memory room check on its own, in this process, against this machine's real /proc and
// cgroup files: what a launch that finds room pays for it. The launch-level comparison (memory
// admission on over off, in the overhead scenario) is the honest end-to-end figure, but its
// difference is below what two noisy medians of whole launches resolve; this one is not.
#include <unistd.h>

#include <chrono>
#include <vector>

#include "bench.h"
#include "holder_memory.h"
#include "memory_estimate.h"
#include "room_check.h"

namespace vq::bench {

void run_room_check_cost(const Context& context, Report& report) {
  const int checks = context.smoke ? 20 : 2000;
  MemorySettings settings;
  settings.unknown_estimate = EstimateRules{}.cold_bytes;
  ProcTreeMemory memory;
  RoomCheck room(settings, memory);
  // One holder, this process: its tree is measured as a running holder's would be.
  Holder self;
  self.pid = ::getpid();
  self.has_record = true;
  self.estimate_bytes = EstimateRules{}.cold_bytes;
  const std::vector<Holder> holders{self};
  Figure idle("room check", "no holder, finds room", "ms");
  Figure busy("room check", "one holder measured, finds room", "ms");
  for (int i = 0; i < checks; ++i) {
    for (Figure* figure : {&idle, &busy}) {
      const auto& beside = figure == &idle ? std::vector<Holder>{} : holders;
      const auto start = std::chrono::steady_clock::now();
      (void)room.judge(beside, 64u << 20);
      const std::chrono::duration<double, std::milli> took =
          std::chrono::steady_clock::now() - start;
      figure->samples.push_back(took.count());
    }
  }
  report.targets.push_back(
      {"memory room check in-process, one holder, median", 0.1, "ms", median(busy.samples)});
  report.figures.push_back(std::move(idle));
  report.figures.push_back(std::move(busy));
}

}  // namespace vq::bench
