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

#include "memory_probe.h"
#include "process_harness.h"

namespace vq::mp {
namespace {

constexpr std::uint64_t k_budget = std::uint64_t{4} << 30;
constexpr int k_runs = 10;

// A memory cgroup below the test's own, limited to `limit` bytes; removed on destruction.
class MemoryCgroup {
 public:
  explicit MemoryCgroup(std::uint64_t limit) {
    auto parent = own_memory_cgroup(ProbeRoots{});
    if (::geteuid() != 0 || !parent) return;
    std::string dir =
        *parent + "/vq-memroom-" + std::to_string(::getpid()) + "-" + std::to_string(++s_count);
    if (::mkdir(dir.c_str(), 0755) != 0) return;
    m_v1 = path_exists(dir + "/memory.limit_in_bytes");
    std::ofstream(dir + (m_v1 ? "/memory.limit_in_bytes" : "/memory.max")) << limit;
    m_dir = dir;
  }
  ~MemoryCgroup() {
    if (m_dir.empty()) return;
    // The runs have been reaped; an emptied cgroup can be removed (after a moment, on v1).
    eventually([&] { return ::rmdir(m_dir.c_str()) == 0; }, 5s);
  }
  const std::string& dir() const { return m_dir; }
  // OOM kills inside this cgroup, as the kernel counts them.
  int oom_kills() const {
    std::ifstream file(m_dir + (m_v1 ? "/memory.oom_control" : "/memory.events"));
    std::string key;
    long value = 0;
    while (file >> key >> value) {
      if (key == "oom_kill") return static_cast<int>(value);
    }
    return -1;
  }

 private:
  static inline int s_count = 0;
  std::string m_dir;
  bool m_v1 = true;
};

class MemoryRoomTest : public ShimTest {
 protected:
  // The shim, started inside `cgroup` by a shell that moves itself there first.
  Process start_in(const MemoryCgroup& cgroup, const std::string& id, const Env& overrides) {
    Launch launch = shim_launch(id, overrides);
    std::vector<std::string> argv{"/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"",
                                  cgroup.dir()};
    argv.insert(argv.end(), launch.argv.begin(), launch.argv.end());
    launch.argv = argv;
    launch.program = "/bin/sh";
    return Process(launch);
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
