#include "wait_display.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

#include <string>
#include "control_characters.h"

namespace vq {
namespace {

// A holder's record as another group member could write it: a title change, a screen clear
// and a newline that would start a forged line.
const std::string k_forged_agent = "a\x1b]0;owned\x07\x1b[2J\nvq: admitted after 0.0s\xc2\x9b";

WaitSnapshot snapshot_with_forged_holder() {
  WaitSnapshot snapshot;
  snapshot.limit = 1;
  snapshot.position = 1;
  snapshot.waiting = 1;
  Holder holder;
  holder.pid = 42;
  holder.has_record = true;
  holder.agent = k_forged_agent;
  holder.admitted_ms = wall_ms();
  snapshot.holders.push_back(holder);
  snapshot.note = "update lock stuck\x1b[2J";
  return snapshot;
}

std::string drain(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  return text;
}

TEST(WaitDisplay, HoldersForTheTimeoutMessageShowTheirAgentEscaped) {
  std::string text = describe_holders(snapshot_with_forged_holder().holders, 16);
  EXPECT_EQ(test::control_characters(text), 0) << text;
  EXPECT_NE(text.find("pid 42 [a\\x1b]0;owned\\x07\\x1b[2J\\nvq: admitted after 0.0s\\xc2\\x9b, "),
            std::string::npos)
      << text;
}

TEST(WaitDisplay, TheWaitingLineShowsTheLevelAndTheAgeBonus) {
  WaitSnapshot snapshot;
  snapshot.limit = 1;
  snapshot.position = 2;
  snapshot.waiting = 3;
  EXPECT_EQ(waiting_line(snapshot), "vq: waiting for a vitest slot: #2 of 3 waiting, 0/1 busy");
  snapshot.level = Priority::low;
  snapshot.age_bonus = 1;
  snapshot.effective = Priority::normal;
  EXPECT_EQ(waiting_line(snapshot),
            "vq: waiting for a vitest slot: #2 of 3 waiting (priority low +1 age = normal), 0/1 "
            "busy");
  snapshot.level = snapshot.effective = Priority::high;
  snapshot.age_bonus = 0;
  EXPECT_EQ(waiting_line(snapshot),
            "vq: waiting for a vitest slot: #2 of 3 waiting (priority high), 0/1 busy");
}

TEST(WaitDisplay, TheWaitingLineCarriesNoControlCharacterFromARecord) {
  std::string line = waiting_line(snapshot_with_forged_holder());
  EXPECT_EQ(test::control_characters(line), 0) << line;

  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_NONBLOCK), 0);
  {
    WaitDisplay display(pipe_fds[1], false);
    display.on_wait_start(snapshot_with_forged_holder());
  }
  ::close(pipe_fds[1]);
  std::string written = drain(pipe_fds[0]);
  ::close(pipe_fds[0]);
  EXPECT_EQ(test::control_characters(written), 0) << written;
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 1) << written;
}

Acquired timed_out_after(double waited_s) {
  Acquired acquired;
  acquired.outcome = Acquired::Outcome::timed_out;
  acquired.waited_s = waited_s;
  acquired.last.limit = 1;
  Holder holder;
  holder.pid = 4121;
  acquired.last.holders.push_back(holder);
  return acquired;
}

TEST(GaveUpLine, ASubSecondWaitReadsInTenthsNotZero) {
  const std::string line = gave_up_line(timed_out_after(0.3004), "/q/vitest-queue.log");
  EXPECT_NE(line.find("vq: gave up after 0.3s waiting for a vitest slot; 1/1 busy: pid 4121"),
            std::string::npos)
      << line;
  EXPECT_NE(gave_up_line(timed_out_after(300.02), "").find("after 300.0s"), std::string::npos);
}

TEST(GaveUpLine, NamesTheLogOnlyWhenThereIsOne) {
  const std::string with_log = gave_up_line(timed_out_after(1), "/q/vitest-queue.log");
  EXPECT_TRUE(with_log.ends_with("or try again later; log: /q/vitest-queue.log")) << with_log;
  const std::string without = gave_up_line(timed_out_after(1), "");
  EXPECT_TRUE(without.ends_with("or try again later")) << without;
  EXPECT_EQ(without.find("log"), std::string::npos) << without;
}

TEST(GaveUpLine, APausedQueueWithNoHoldersSaysSo) {
  Acquired acquired = timed_out_after(2);
  acquired.last.holders.clear();
  acquired.last.paused = true;
  EXPECT_NE(gave_up_line(acquired, "").find("0/1 busy (queue paused) — raise VQ_QUEUE_TIMEOUT"),
            std::string::npos)
      << gave_up_line(acquired, "");
}

}  // namespace
}  // namespace vq
