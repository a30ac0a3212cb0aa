// Each admitted run is forced to one worker through the environment (safe on every vitest
// version), and carries the nested-run marker naming itself; VQ_SINGLE_WORKER=0 turns forcing off.
#include <sched.h>
#include <signal.h>

#include <string>
#include <utility>

#include "process_harness.h"

namespace vq::mp {
namespace {

using SingleWorkerTest = ShimTest;

const std::string k_forcing_variables =
    "VITEST_MAX_WORKERS,VITEST_MAX_FORKS,VITEST_MIN_FORKS,VITEST_MAX_THREADS,VITEST_MIN_THREADS";

TEST_F(SingleWorkerTest, AdmittedRunSeesOneWorkerInItsEnvironmentAndArgvUnchanged) {
  Process run(shim_launch(
      "run",
      {{"FAKE_ECHO_ARGV", "1"}, {"FAKE_ECHO_ENV", k_forcing_variables}, {"FAKE_SLEEP_MS", "0"}},
      {"run", "--reporter=dot"}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  EXPECT_EQ(run.stdout_text(), "argv[0]=" + shim_path() + "\n" +
                                   "argv[1]=run\n"
                                   "argv[2]=--reporter=dot\n"
                                   "env VITEST_MAX_WORKERS=1\n"
                                   "env VITEST_MAX_FORKS=1\n"
                                   "env VITEST_MIN_FORKS=1\n"
                                   "env VITEST_MAX_THREADS=1\n"
                                   "env VITEST_MIN_THREADS=1\n");
}

// All five variables whatever the version (each version reads its own; the version may be
// unknown); the flags by version.
TEST_F(SingleWorkerTest, EveryVersionGetsAllFiveVariablesAndItsOwnFlags) {
  const std::pair<std::string, std::string> flags_by_version[] = {
      {"1.6.1", "argv[2]=--no-file-parallelism\n"},
      {"5.1.2",
       "argv[2]=--no-file-parallelism\nargv[3]=--experimental.diagnostics.isolate=false\n"}};
  for (const auto& [version, flags] : flags_by_version) {
    const std::string vitest = install_fake_vitest(tmp() + "/v" + version, version);
    ASSERT_FALSE(vitest.empty());
    Process run(shim_launch("run-" + version,
                            {{"VQ_REAL_VITEST", vitest},
                             {"FAKE_ECHO_ARGV", "1"},
                             {"FAKE_ECHO_ENV", k_forcing_variables}},
                            {"run"}));
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
    EXPECT_EQ(run.stdout_text(), "argv[0]=" + shim_path() + "\nargv[1]=run\n" + flags +
                                     "env VITEST_MAX_WORKERS=1\n"
                                     "env VITEST_MAX_FORKS=1\n"
                                     "env VITEST_MIN_FORKS=1\n"
                                     "env VITEST_MAX_THREADS=1\n"
                                     "env VITEST_MIN_THREADS=1\n")
        << "vitest " << version;
  }
}

TEST_F(SingleWorkerTest, AdmittedRunCarriesAMarkerNamingItsOwnPidAndStartTime) {
  Process run(shim_launch("run", {{"FAKE_ECHO_ENV", "VQ_HOLDER"}, {"FAKE_SLEEP_MS", "30000"}}));
  ASSERT_TRUE(eventually([&] { return !run.stdout_text().empty(); })) << run.stderr_text();
  const std::string start_time = proc_start_time(run.pid());
  run.send(SIGTERM);
  ASSERT_TRUE(run.wait());
  EXPECT_EQ(run.stdout_text(),
            "env VQ_HOLDER=" + std::to_string(run.pid()) + ":" + start_time + "\n");
}

TEST_F(SingleWorkerTest, SingleWorkerZeroLeavesTheEnvironmentAlone) {
  Process run(
      shim_launch("run", {{"VQ_SINGLE_WORKER", "0"}, {"FAKE_ECHO_ENV", k_forcing_variables}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  EXPECT_EQ(run.stdout_text(),
            "env VITEST_MAX_WORKERS unset\n"
            "env VITEST_MAX_FORKS unset\n"
            "env VITEST_MIN_FORKS unset\n"
            "env VITEST_MAX_THREADS unset\n"
            "env VITEST_MIN_THREADS unset\n");
}

int cpus_here() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  return ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
}

// VQ_WORKERS=auto: a run alone on the machine gets a worker per CPU; the next run while that
// one holds finds the CPUs taken and gets one. VQ_WORKERS=N: N. The fake prints what it got.
TEST_F(SingleWorkerTest, AutoWorkersGiveALoneRunEveryCpuAndACrowdedQueueOne) {
  const int cpus = cpus_here();
  if (cpus < 2) GTEST_SKIP() << "one CPU: auto gives one worker to every run";
  const Env automatic = {{"VQ_WORKERS", "auto"},
                         {"VQ_MAX_PROCESSES", "4"},
                         {"FAKE_ECHO_ENV", "VITEST_MAX_WORKERS,VITEST_MIN_FORKS"}};
  Env holding = automatic;
  holding["FAKE_SLEEP_MS"] = "30000";
  Process lone = start_holder("lone", holding);
  ASSERT_TRUE(eventually([&] { return !lone.stdout_text().empty(); }));
  EXPECT_EQ(lone.stdout_text(),
            "env VITEST_MAX_WORKERS=" + std::to_string(cpus) + "\nenv VITEST_MIN_FORKS=1\n");

  Process crowded(shim_launch("crowded", automatic));
  const auto status = crowded.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << crowded.stderr_text();
  EXPECT_EQ(crowded.stdout_text(), "env VITEST_MAX_WORKERS=1\nenv VITEST_MIN_FORKS=1\n");
  ::kill(lone.pid(), SIGTERM);
  ASSERT_TRUE(lone.wait());

  Process fixed(shim_launch("fixed", {{"VQ_WORKERS", "3"}, {"FAKE_ECHO_ENV", "VITEST_MAX_FORKS"}}));
  ASSERT_TRUE(fixed.wait());
  EXPECT_EQ(fixed.stdout_text(), "env VITEST_MAX_FORKS=3\n");
}

}  // namespace
}  // namespace vq::mp
