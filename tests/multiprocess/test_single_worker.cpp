// Each admitted run is forced to one worker through the environment (safe on every vitest
// version), and carries the nested-run marker naming itself; VQ_SINGLE_WORKER=0 turns forcing off.
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

}  // namespace
}  // namespace vq::mp
