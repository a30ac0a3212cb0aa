// Launches that must not queue: VQ_DISABLE=1, a run nested inside a holder, and the
// informational commands (and, as their control, a --version that vitest ignores). Each is tried
// while the only slot is held by someone else, with a one-second queue timeout, so a launch that
// wrongly queues fails with 75 instead of hanging.
#include <signal.h>

#include <cctype>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

using BypassTest = ShimTest;

const Env k_full_queue{{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "1"}};

Env with(Env env, const Env& more) {
  for (const auto& [name, value] : more) env[name] = value;
  return env;
}

TEST_F(BypassTest, DisabledRunStartsAtOnceEvenWhenTheQueueIsFull) {
  Process holder = start_holder("holder", with(k_full_queue, {{"FAKE_SLEEP_MS", "30000"}}));
  Process run(
      shim_launch("disabled", with(k_full_queue, {{"VQ_DISABLE", "1"}, {"FAKE_EXIT", "7"}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(7)) << "stderr: " << run.stderr_text();
  EXPECT_EQ(run.stderr_text(), "");
  EXPECT_TRUE(has_started("disabled"));
}

TEST_F(BypassTest, RunNestedInsideAHolderCompletesWithoutDeadlock) {
  Process holder(shim_launch("holder", with(k_full_queue, {{"FAKE_NESTED", shim_path()}})));
  const auto status = holder.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << holder.stderr_text();
  EXPECT_EQ(holder.stderr_text(), "");

  const auto events = records();
  const auto outer_start = find_event(events, RecordEvent::Kind::start, "holder");
  const auto inner_start = find_event(events, RecordEvent::Kind::start, "holder.nested");
  const auto inner_end = find_event(events, RecordEvent::Kind::end, "holder.nested");
  const auto outer_end = find_event(events, RecordEvent::Kind::end, "holder");
  ASSERT_TRUE(outer_start && inner_start && inner_end && outer_end) << read_file(record_path());
  EXPECT_LT(outer_start->ns, inner_start->ns);
  EXPECT_LT(inner_end->ns, outer_end->ns);
}

TEST_F(BypassTest, StaleNestedRunMarkerDoesNotBypassTheQueue) {
  // A marker naming a process that has exited, as a leftover export in a shell would.
  Process gone(direct_launch("gone", {{"FAKE_SLEEP_MS", "30000"}}));
  std::string start_time;
  ASSERT_TRUE(eventually([&] { return !(start_time = proc_start_time(gone.pid())).empty(); }));
  const std::string marker = std::to_string(gone.pid()) + ":" + start_time;
  gone.send(SIGKILL);
  ASSERT_TRUE(gone.wait());

  Process holder = start_holder("holder", with(k_full_queue, {{"FAKE_SLEEP_MS", "30000"}}));
  Process run(shim_launch("stale", with(k_full_queue, {{"VQ_HOLDER", marker}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << "stderr: " << run.stderr_text();
  EXPECT_FALSE(has_started("stale"));
}

class InformationalCommandTest : public ShimTest,
                                 public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(InformationalCommandTest, PassesStraightThroughUntouched) {
  const std::string vitest = install_fake_vitest(tmp() + "/project", "4.1.12");
  ASSERT_FALSE(vitest.empty());
  Process holder = start_holder("holder", with(k_full_queue, {{"FAKE_SLEEP_MS", "30000"}}));
  Process run(shim_launch("info",
                          with(k_full_queue, {{"FAKE_ECHO_ARGV", "1"}, {"VQ_REAL_VITEST", vitest}}),
                          GetParam()));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  EXPECT_EQ(run.stderr_text(), "");

  std::string expected = "argv[0]=" + shim_path() + "\n";
  for (std::size_t i = 0; i < GetParam().size(); ++i) {
    expected += "argv[" + std::to_string(i + 1) + "]=" + GetParam()[i] + "\n";
  }
  EXPECT_EQ(run.stdout_text(), expected);
}

std::string name_of(const std::vector<std::string>& args) {
  std::string name;
  for (const std::string& arg : args) {
    std::string word;
    for (char c : arg) {
      if (std::isalnum(static_cast<unsigned char>(c))) word += c;
    }
    if (arg == "-v" || arg == "-h") word = arg == "-v" ? "ShortV" : "ShortH";
    if (!word.empty())
      word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    name += word;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Commands, InformationalCommandTest,
                         ::testing::Values(std::vector<std::string>{"--version"},
                                           std::vector<std::string>{"-v"},
                                           std::vector<std::string>{"--help"},
                                           std::vector<std::string>{"-h"},
                                           std::vector<std::string>{"run", "--help"},
                                           std::vector<std::string>{"test", "--version"},
                                           std::vector<std::string>{"init", "browser"},
                                           std::vector<std::string>{"complete"}),
                         [](const auto& info) { return name_of(info.param); });

// vitest prints its version only when no subcommand matched: with one it runs the suite, so
// such a launch queues like any run (issue 14). `doctor` runs the suite on every version.
class RunsTestsDespiteVersionFlagTest
    : public ShimTest,
      public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(RunsTestsDespiteVersionFlagTest, WaitsForTheSlotLikeAnyRun) {
  for (const std::string version : {"1.6.1", "5.1.2"}) {
    const std::string vitest = install_fake_vitest(tmp() + "/v" + version, version);
    ASSERT_FALSE(vitest.empty());
    const std::string holder_id = "holder-" + version, run_id = "run-" + version;
    const Env queue{{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "0.5"}};
    Process holder = start_holder(holder_id, with(queue, {{"FAKE_SLEEP_MS", "30000"}}));
    Process run(shim_launch(run_id, with(queue, {{"VQ_REAL_VITEST", vitest}}), GetParam()));
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(75))
        << "vitest " << version << "; stderr: " << run.stderr_text();
    EXPECT_FALSE(has_started(run_id)) << "vitest " << version << " ran beside the only holder";
    holder.send(SIGTERM);
    ASSERT_TRUE(holder.wait());
  }
}

INSTANTIATE_TEST_SUITE_P(Commands, RunsTestsDespiteVersionFlagTest,
                         ::testing::Values(std::vector<std::string>{"run", "--version"},
                                           std::vector<std::string>{"run", "-v"},
                                           std::vector<std::string>{"--version", "run"},
                                           std::vector<std::string>{"run", "tests", "--version"},
                                           std::vector<std::string>{"watch", "--version"},
                                           std::vector<std::string>{"doctor"}),
                         [](const auto& info) { return name_of(info.param); });

}  // namespace
}  // namespace vq::mp
