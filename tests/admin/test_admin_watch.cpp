// `vq-admin status --watch` redraws in place on a terminal until Ctrl-C, and prints plain
// successive reports elsewhere.
#include <signal.h>

#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminWatchTest = AdminTest;

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(AdminWatchTest, OnATerminalRedrawsInPlaceAndStopsCleanlyOnCtrlC) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Pty pty;
  Launch launch = admin_launch({"status", "--watch", "--interval", "100"}, {{"TERM", "xterm"}});
  launch.stdout_path = pty.slave_path();
  Process watch(launch);

  const std::string title = "=== Vitest Global Queue Status ===";
  ASSERT_TRUE(eventually([&] { return count(pty.text(), title) >= 3; }, 10s))
      << "fewer than 3 frames: " << pty.text();
  const std::string text = pty.text();
  EXPECT_NE(text.find("\x1b[?25l"), std::string::npos) << "cursor hidden while watching";
  EXPECT_GE(count(text, "\x1b[H"), 3) << "each frame starts at the cursor home";
  EXPECT_NE(text.find("\x1b[K"), std::string::npos) << "lines are cleared to their end";
  EXPECT_EQ(text.find("\x1b[2J", 1 + text.find("\x1b[2J")), std::string::npos)
      << "the screen is cleared once, not per frame (flicker)";
  EXPECT_NE(text.find("PID " + std::to_string(holder.pid())), std::string::npos);

  watch.send(SIGINT);
  const auto status = watch.wait(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  EXPECT_NE(pty.text().rfind("\x1b[?25h"), std::string::npos) << "cursor shown again";
}

TEST_F(AdminWatchTest, IntoAPipeOrFilePrintsPlainSuccessiveReports) {
  Process watch(admin_launch({"status", "--watch", "--interval", "100"}, {{"TERM", "xterm"}}));
  const std::string title = "=== Vitest Global Queue Status ===";
  ASSERT_TRUE(eventually([&] { return count(watch.stdout_text(), title) >= 2; }, 10s));
  watch.send(SIGTERM);
  const auto status = watch.wait(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
  EXPECT_EQ(watch.stdout_text().find('\x1b'), std::string::npos) << watch.stdout_text();
  EXPECT_NE(watch.stdout_text().find("\n\nEvery 100 ms"), std::string::npos)
      << "frames separated by a blank line: " << watch.stdout_text();
}

}  // namespace
}  // namespace vq::mp
