// Launches that must not queue: VQ_DISABLE=1, a run nested inside a holder, and the
// informational commands. Each is tried while the only slot is held by someone else, with a
// one-second queue timeout, so a launch that wrongly queues fails with 75 instead of hanging.
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
  Process holder = start_holder("holder", with(k_full_queue, {{"FAKE_SLEEP_MS", "30000"}}));
  Process run(shim_launch("info", with(k_full_queue, {{"FAKE_ECHO_ARGV", "1"}}), GetParam()));
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

INSTANTIATE_TEST_SUITE_P(
    Commands, InformationalCommandTest,
    ::testing::Values(std::vector<std::string>{"--version"}, std::vector<std::string>{"-v"},
                      std::vector<std::string>{"--help"}, std::vector<std::string>{"-h"},
                      std::vector<std::string>{"init", "browser"},
                      std::vector<std::string>{"complete"}, std::vector<std::string>{"doctor"}),
    [](const auto& info) {
      std::string name;
      for (char c : info.param[0]) {
        if (std::isalnum(static_cast<unsigned char>(c))) name += c;
      }
      return name == "v" ? std::string("ShortV") : name == "h" ? std::string("ShortH") : name;
    });

}  // namespace
}  // namespace vq::mp
