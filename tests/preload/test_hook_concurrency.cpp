// Invariant 1 through the hooks: launches of node_modules/.bin/vitest that a program makes with
// posix_spawn or execvp, many at once, never run more than the limit at a time. The fake
// vitest's record file is the observer; without the library the same launches overlap freely,
// which shows the count can fail.
#include <cstdio>
#include <string>
#include <vector>

#include "preload_fixture.h"

namespace vq::preload_test {
namespace {

using mp::exited;
using mp::max_overlap;
using mp::read_records;

constexpr int k_launches = 8;
constexpr int k_limit = 2;

class HookConcurrencyTest : public HookTest {
 protected:
  Env launch_env() const {
    return {{"VQ_MAX_PROCESSES", std::to_string(k_limit)},
            {"FAKE_SLEEP_MS", "300"},
            {"PATH", tmp() + "/P/node_modules/.bin:/usr/bin:/bin"}};
  }

  // One probe_posix_spawn process spawning .bin/vitest k_launches times before waiting.
  int spawn_from_one_process(Preload preload) const {
    const std::string project = make_project("P");
    Env env = launch_env();
    env["PROBE_REPEAT"] = std::to_string(k_launches);
    const auto result = run_probe("posix_spawn", preload, project + "/node_modules/.bin/vitest",
                                  {"vitest", "run"}, env);
    EXPECT_EQ(result.status, exited(0)) << result.out << result.err;
    std::string expected;
    for (int i = 0; i < k_launches; ++i) expected += spawned_line("posix_spawn");
    EXPECT_EQ(without_pids(result.out), expected);
    return checked_overlap();
  }

  // k_launches processes, each execvp-ing vitest found on PATH.
  int exec_from_many_processes(Preload preload) const {
    make_project("P");
    std::vector<mp::Process> runs;
    for (int i = 0; i < k_launches; ++i) {
      mp::Launch launch;
      launch.program = probe_path("execvp");
      launch.argv = {launch.program, "vitest", "vitest", "run"};
      launch.env = env_for(preload, launch_env());
      launch.stderr_path = tmp() + "/run" + std::to_string(i) + ".err";
      runs.emplace_back(launch);
    }
    for (auto& run : runs) {
      const auto status = run.wait();
      EXPECT_TRUE(status) << "pid " << run.pid() << " hung";
      if (status) {
        EXPECT_EQ(mp::describe_status(*status), exited(0)) << run.stderr_text();
      }
    }
    return checked_overlap();
  }

  // Every launch ran to its end; returns the largest number running at one instant.
  int checked_overlap() const {
    const auto events = read_records(record_path());
    EXPECT_EQ(events.size(), 2u * k_launches) << mp::read_file(record_path());
    const int overlap = max_overlap(events);
    std::printf("[   INFO   ] %d launches of 300 ms at limit %d: max overlap %d\n", k_launches,
                k_limit, overlap);
    return overlap;
  }
};

TEST_F(HookConcurrencyTest, EightPosixSpawnsFromOneProcessRunAtMostTheLimitAtOnce) {
  const int overlap = spawn_from_one_process(Preload::on);
  EXPECT_LE(overlap, k_limit);
  EXPECT_GE(overlap, 1);
  EXPECT_NE(queue_log().find("event=admitted"), std::string::npos);
}

TEST_F(HookConcurrencyTest, WithoutThePreloadTheSameSpawnsOverlapBeyondTheLimit) {
  EXPECT_GT(spawn_from_one_process(Preload::off), k_limit);
}

TEST_F(HookConcurrencyTest, EightProcessesExecvpingVitestRunAtMostTheLimitAtOnce) {
  const int overlap = exec_from_many_processes(Preload::on);
  EXPECT_LE(overlap, k_limit);
  EXPECT_GE(overlap, 1);
}

TEST_F(HookConcurrencyTest, WithoutThePreloadTheSameExecvpsOverlapBeyondTheLimit) {
  EXPECT_GT(exec_from_many_processes(Preload::off), k_limit);
}

}  // namespace
}  // namespace vq::preload_test
