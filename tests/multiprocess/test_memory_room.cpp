// Memory-aware admission with runs that really allocate, inside a real memory cgroup the test
// makes (root; cgroup v1 memory controller, or v2 with the memory controller enabled): the
// record file (what really ran, and when) and the cgroup's own OOM count are the observers.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "memory_cgroup.h"
#include "process_harness.h"

namespace vq::mp {
namespace {

constexpr std::uint64_t k_budget = std::uint64_t{4} << 30;
constexpr int k_runs = 10;

class MemoryRoomTest : public ShimTest {
 protected:
  // The shim, started inside `cgroup`.
  Process start_in(const MemoryCgroup& cgroup, const std::string& id, const Env& overrides) {
    return Process(launch_in(cgroup, shim_launch(id, overrides)));
  }

  struct Outcome {
    int overlap = 0;
    int failed = 0;
    int oom_kills = 0;
    bool explained = false;  // a waiter's line named the memory figures
  };

  // 10 runs that grow to 1 GiB a second after they start, count limit 10, in a 4 GiB cgroup.
  Outcome run_growing_crowd(const Env& extra) {
    MemoryCgroup cgroup(k_budget);
    if (cgroup.dir().empty()) return Outcome{-1};
    Env env{{"VQ_MAX_PROCESSES", "10"}, {"VQ_MEMORY_ESTIMATE", "1100M"},
            {"FAKE_GROW_MB", "1024"},   {"FAKE_GROW_AFTER_MS", "1000"},
            {"FAKE_SLEEP_MS", "1000"},  {"VQ_QUEUE_TIMEOUT", "60"}};
    apply_overrides(env, extra);
    std::vector<Process> runs;
    for (int i = 0; i < k_runs; ++i) runs.push_back(start_in(cgroup, "r" + std::to_string(i), env));
    Outcome outcome;
    for (auto& run : runs) {
      auto status = run.wait(90s);
      if (!status || describe_status(*status) != exited(0)) ++outcome.failed;
      if (run.stderr_text().find("needs ~") != std::string::npos) {
        outcome.explained = true;
      }
    }
    outcome.overlap = max_overlap(records());
    outcome.oom_kills = cgroup.oom_kills();
    return outcome;
  }
};

TEST_F(MemoryRoomTest, GrowingRunsReservedNeverMoreThanTheBudgetHoldsAndNoneKilled) {
  Outcome outcome = run_growing_crowd({});
  if (outcome.overlap < 0) GTEST_SKIP() << "needs root and a memory cgroup to create one in";
  std::printf(
      "[   INFO   ] with the growing-runs reservation: max %d at once, %d failed, %d OOM "
      "kills\n",
      outcome.overlap, outcome.failed, outcome.oom_kills);
  EXPECT_LE(outcome.overlap, 3);
  EXPECT_GE(outcome.overlap, 2);  // not serialised either
  EXPECT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.oom_kills, 0);
  EXPECT_TRUE(outcome.explained) << "no waiter said what memory it waited for";
}

TEST_F(MemoryRoomTest, ControlWithoutTheReservationAdmitsMore) {
  Outcome outcome = run_growing_crowd({{"VQ_MEMORY_RESERVE_GROWING", "0"}});
  if (outcome.overlap < 0) GTEST_SKIP() << "needs root and a memory cgroup to create one in";
  std::printf("[   INFO   ] without it: max %d at once, %d failed, %d OOM kills\n", outcome.overlap,
              outcome.failed, outcome.oom_kills);
  EXPECT_GT(outcome.overlap, 3);
}

}  // namespace
}  // namespace vq::mp
