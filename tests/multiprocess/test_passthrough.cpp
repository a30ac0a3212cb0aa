// Invariant 5: a run through the shim is what it would be without vq — exit status, death by
// signal, pid, arguments, working directory, stdin, stdout and stderr — and vq is silent unless
// it makes the run wait.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

struct Ending {
  const char* name;
  Env env;
};

class ExitStatusTest : public ShimTest, public ::testing::WithParamInterface<Ending> {};

TEST_P(ExitStatusTest, IsExactlyWhatADirectRunGivesUnderTheSamePid) {
  Process direct(direct_launch("direct", GetParam().env));
  const auto direct_status = direct.wait();
  ASSERT_TRUE(direct_status);

  Process shimmed(shim_launch("shimmed", GetParam().env));
  const auto shim_status = shimmed.wait();
  ASSERT_TRUE(shim_status);

  EXPECT_EQ(describe_status(*shim_status), describe_status(*direct_status))
      << "stderr: " << shimmed.stderr_text();
  EXPECT_EQ(*shim_status, *direct_status) << "raw wait statuses differ";
  const auto start = find_event(records(), RecordEvent::Kind::start, "shimmed");
  ASSERT_TRUE(start) << "the fake never ran through the shim";
  EXPECT_EQ(start->pid, shimmed.pid()) << "the shim forked instead of exec'ing";
}

INSTANTIATE_TEST_SUITE_P(
    Endings, ExitStatusTest,
    ::testing::Values(Ending{"Exit0", {{"FAKE_EXIT", "0"}}}, Ending{"Exit1", {{"FAKE_EXIT", "1"}}},
                      Ending{"Exit42", {{"FAKE_EXIT", "42"}}},
                      Ending{"Sigterm", {{"FAKE_SIGNAL", std::to_string(SIGTERM)}}},
                      Ending{"Sigsegv", {{"FAKE_SIGNAL", std::to_string(SIGSEGV)}}}),
    [](const auto& info) { return std::string(info.param.name); });

using PassthroughTest = ShimTest;

TEST_F(PassthroughTest, ArgumentsCwdStdinAndOutputAreByteIdenticalToADirectRun) {
  const std::string work = tmp() + "/work dir";
  ASSERT_EQ(::mkdir(work.c_str(), 0755), 0);
  const std::string input = tmp() + "/stdin";
  write_file(input, std::string("line one\n\xff\x01 binary\0 tail", 24));
  const Env env{{"FAKE_ECHO_ARGV", "1"},
                {"FAKE_ECHO_CWD", "1"},
                {"FAKE_CAT_STDIN", "1"},
                {"FAKE_STDOUT", "out \xff\x02 no newline"},
                {"FAKE_STDERR", "err line\nsecond \xfe"}};
  const std::vector<std::string> args{"run", "--reporter=dot", "", "with space", "--", "\xc3\xbc"};

  auto direct_launch_ = direct_launch("direct", env, args);
  direct_launch_.cwd = work;
  direct_launch_.stdin_path = input;
  Process direct(direct_launch_);
  ASSERT_TRUE(direct.wait());

  auto shimmed_launch = shim_launch("shimmed", env, args);
  shimmed_launch.cwd = work;
  shimmed_launch.stdin_path = input;
  Process shimmed(shimmed_launch);
  const auto status = shimmed.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));

  ASSERT_NE(direct.stdout_text().find("line one"), std::string::npos) << "the fake echoed nothing";
  EXPECT_EQ(shimmed.stdout_text(), direct.stdout_text());
  // No wait happened, so vq must add nothing to stderr.
  EXPECT_EQ(shimmed.stderr_text(), direct.stderr_text());
}

TEST_F(PassthroughTest, AWaitingRunAddsExactlyOneWaitingLineAndOneAdmittedLineToStderr) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_STDERR", "fake\n"}});
  holder.send(SIGTERM);
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));

  std::istringstream lines(waiter.stderr_text());
  std::vector<std::string> stderr_lines;
  for (std::string line; std::getline(lines, line);) stderr_lines.push_back(line);
  ASSERT_EQ(stderr_lines.size(), 3u) << waiter.stderr_text();
  EXPECT_EQ(stderr_lines[0].rfind("vq: waiting for a vitest slot", 0), 0u) << stderr_lines[0];
  EXPECT_EQ(stderr_lines[1].rfind("vq: admitted after", 0), 0u) << stderr_lines[1];
  EXPECT_EQ(stderr_lines[2], "fake");
  EXPECT_EQ(waiter.stdout_text(), "");
}

// On a terminal vq draws a live line while waiting; it must never leave vitest's first output
// glued to half a line of its own, and it must stay silent when no wait happens.
using TerminalTest = ShimTest;

TEST_F(TerminalTest, NoWaitOnATerminalAddsNothingToStderr) {
  Pty direct_tty;
  auto direct_run = direct_launch("direct", {{"FAKE_STDERR", "fake\n"}});
  direct_run.stderr_path = direct_tty.slave_path();
  Process direct(direct_run);
  ASSERT_TRUE(direct.wait());

  Pty shim_tty;
  auto shimmed_run = shim_launch("shimmed", {{"FAKE_STDERR", "fake\n"}});
  shimmed_run.stderr_path = shim_tty.slave_path();
  Process shimmed(shimmed_run);
  const auto status = shimmed.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  EXPECT_EQ(shim_tty.text(), direct_tty.text());
}

TEST_F(TerminalTest, WaitOnATerminalEndsWithAWholeAdmittedLineBeforeVitestOutput) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Pty tty;
  auto waiting_run = shim_launch("waiter", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_STDERR", "fake\n"}});
  waiting_run.stderr_path = tty.slave_path();
  Process waiter(waiting_run);
  ASSERT_TRUE(eventually([&] { return tty.text().find("vq: waiting") != std::string::npos; }, 10s))
      << "nothing on the terminal: '" << tty.text() << "'";
  sleep_for_ms(1200);  // let the live line redraw at least once
  holder.send(SIGTERM);
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));

  // The terminal turns "\n" into "\r\n". The admitted line must start on a clean line (after an
  // erase or a newline) and be followed by nothing but vitest's own output.
  const std::string screen = tty.text();
  const std::string tail = "\r\nfake\r\n";
  ASSERT_GE(screen.size(), tail.size()) << screen;
  EXPECT_EQ(screen.substr(screen.size() - tail.size()), tail) << screen;
  const auto admitted = screen.rfind("vq: admitted after ");
  ASSERT_NE(admitted, std::string::npos) << screen;
  const std::string before_admitted = screen.substr(0, admitted);
  EXPECT_TRUE(before_admitted.ends_with("\r\033[K") || before_admitted.ends_with("\n"))
      << "the admitted line starts in the middle of the waiting line: " << screen;
  EXPECT_EQ(screen.find('\n', admitted), screen.size() - tail.size() + 1)
      << "more than one line after the admitted line: " << screen;
}

// A shim that blocks signals while it waits must hand vitest the mask and dispositions its
// caller gave it: a vitest that inherits a blocked SIGINT cannot be stopped with Ctrl-C.
class SignalStateTest : public ShimTest, public ::testing::WithParamInterface<bool> {
 protected:
  Launch with_signal_state(Launch launch) const {
    launch.ignored_signals = {SIGINT, SIGPIPE};
    launch.blocked_signals = {SIGQUIT, SIGUSR1};
    return launch;
  }
};

TEST_P(SignalStateTest, MaskAndIgnoredSignalsReachVitestAsTheCallerSetThem) {
  const bool after_waiting = GetParam();
  const Env env{{"VQ_MAX_PROCESSES", "1"}, {"FAKE_ECHO_SIGNALS", "1"}};
  Process direct(with_signal_state(direct_launch("direct", env)));
  ASSERT_TRUE(direct.wait());
  ASSERT_NE(direct.stdout_text().find("SigBlk:"), std::string::npos) << direct.stdout_text();

  std::optional<Process> holder;
  if (after_waiting)
    holder.emplace(start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}}));
  Process shimmed =
      after_waiting ? start_waiter_launch("shimmed", with_signal_state(shim_launch("shimmed", env)))
                    : Process(with_signal_state(shim_launch("shimmed", env)));
  if (holder) holder->send(SIGTERM);
  const auto status = shimmed.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << shimmed.stderr_text();
  EXPECT_EQ(shimmed.stdout_text(), direct.stdout_text());
}

INSTANTIATE_TEST_SUITE_P(Paths, SignalStateTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return std::string(info.param ? "AfterWaiting" : "WithoutWaiting");
                         });

// vitest gets the descriptors its caller gave it, plus the slot lock (which must outlive the
// shim), and nothing else of vq's: no log, table, directory or FIFO. Checked for a launch
// admitted at once and for one admitted after waiting.
class InheritedDescriptorsTest : public ShimTest, public ::testing::WithParamInterface<bool> {};

// The fake's "fd N -> TARGET" lines above stdio (0-2 name each launch's own output files).
std::vector<std::string> descriptors_above_stdio(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (line.rfind("fd ", 0) == 0 && std::atoi(line.c_str() + 3) > 2) lines.push_back(line);
    at = end + 1;
  }
  return lines;
}

TEST_P(InheritedDescriptorsTest, OnlyTheSlotLockIsAddedToWhatTheCallerGave) {
  const bool after_waiting = GetParam();
  const Env env{{"VQ_MAX_PROCESSES", "1"}, {"FAKE_ECHO_FDS", "1"}};
  Process direct(direct_launch("direct", env));
  ASSERT_TRUE(direct.wait());
  ASSERT_NE(direct.stdout_text().find("fd 0 -> "), std::string::npos) << direct.stdout_text();
  const std::vector<std::string> given = descriptors_above_stdio(direct.stdout_text());

  std::optional<Process> holder;
  if (after_waiting)
    holder.emplace(start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}}));
  Process shimmed =
      after_waiting ? start_waiter("shimmed", env) : Process(shim_launch("shimmed", env));
  if (holder) holder->send(SIGTERM);
  const auto status = shimmed.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << shimmed.stderr_text();
  std::vector<std::string> added;
  for (const std::string& line : descriptors_above_stdio(shimmed.stdout_text())) {
    if (std::find(given.begin(), given.end(), line) == given.end()) added.push_back(line);
  }
  ASSERT_EQ(added.size(), 1u) << shimmed.stdout_text();
  EXPECT_NE(added[0].find("/slots.lock"), std::string::npos) << added[0];
}

INSTANTIATE_TEST_SUITE_P(Paths, InheritedDescriptorsTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return std::string(info.param ? "AfterWaiting" : "AdmittedAtOnce");
                         });

}  // namespace
}  // namespace vq::mp
