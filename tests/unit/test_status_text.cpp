#include "status_text.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "control_characters.h"

namespace vq::admin {
namespace {

StatusReport sample_report() {
  StatusReport report;
  report.queue_dir = "/tmp/vq-1000";
  report.log_file = "/tmp/vq-1000/vitest-queue.log";
  report.limit = 4;
  report.registered = 2;
  ActiveRun run;
  run.pid = 12345;
  run.has_record = true;
  run.agent = "agent-1";
  run.admitted_ms = 1'700'000'000'000;
  run.runtime_s = 42.7;
  run.cwd = "/home/u/p";
  run.command = "vitest run";
  run.usage = TreeUsage{812ull << 20, 0, 3};
  run.cpu_percent = 96.4;
  report.active.push_back(run);
  report.waiting.push_back(WaitingRun{12350, "agent-5", 1, 9, 0, 12.2, false});
  report.stale.push_back({StaleRecord::Kind::holder, 2, 4242, "agent-3", "process gone"});
  return report;
}

TEST(StatusText, WithoutASampleShowsTheAverageCpuOverTheRun) {
  StatusReport report = sample_report();
  report.active[0].cpu_percent.reset();
  report.active[0].cpu_average_percent = 49.6;
  std::string text = render_status_text(report, TextStyle{false});
  EXPECT_NE(text.find(", RSS: 812 MiB, CPU: 50%)\n"), std::string::npos) << text;
  report.active[0].cpu_percent = 96.4;
  text = render_status_text(report, TextStyle{false});
  EXPECT_NE(text.find(", CPU: 96%)\n"), std::string::npos) << "a sample wins: " << text;
}

TEST(StatusText, FormatsDurationsAndSizesAsOperatorsReadThem) {
  EXPECT_EQ(format_duration(42.9), "42s");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(7500), "2h05m");
  EXPECT_EQ(format_bytes(640 * 1024), "640 KiB");
  EXPECT_EQ(format_bytes(812ull << 20), "812 MiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3072 MiB");
  EXPECT_EQ(format_bytes(12ull << 30), "12.0 GiB");
}

TEST(StatusText, RendersTheSeedLayoutWithUsageAndStaleMarks) {
  std::string text = render_status_text(sample_report(), TextStyle{false});
  EXPECT_EQ(text.rfind("=== Vitest Global Queue Status ===\nCurrent vitest processes: 1/4\n"
                       "Registered processes: 2\nWaiting: 1\n",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("  PID 12345 (Agent: agent-1, Started: "), std::string::npos) << text;
  EXPECT_NE(text.find(", Runtime: 42s, RSS: 812 MiB, CPU: 96%)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  #1 PID 12350 (Agent: agent-5, Waiting: 12s)\n"), std::string::npos);
  EXPECT_NE(text.find("slot 2: PID 4242 (Agent: agent-3) [stale: process gone]"),
            std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST(StatusText, AWaitersPlaceIsExplainedByLevelAgeBonusAndTurn) {
  StatusReport report = sample_report();
  WaitingRun& run = report.waiting[0];
  run.level = Priority::low;
  run.age_bonus = 1;
  run.effective = Priority::normal;
  run.round = 1;
  std::string text = render_status_text(report, TextStyle{false});
  EXPECT_NE(text.find("  #1 PID 12350 (Agent: agent-5, Waiting: 12s, Priority: low +1 age = "
                      "normal, turn 2)\n"),
            std::string::npos)
      << text;
  run = WaitingRun{12350, "agent-5", 1, 9, 0, 12.2, false};
  run.level = Priority::urgent;
  run.effective = Priority::urgent;
  text = render_status_text(report, TextStyle{false});
  EXPECT_NE(text.find("Waiting: 12s, Priority: urgent)\n"), std::string::npos) << text;
}

TEST(StatusText, ColourOnlyWhenAsked) {
  EXPECT_NE(render_status_text(sample_report(), TextStyle{true}).find('\x1b'), std::string::npos);
}

TEST(StatusText, PausedQueueSaysHowToResume) {
  StatusReport report = sample_report();
  report.paused = true;
  EXPECT_NE(render_status_text(report, {}).find("Paused: yes"), std::string::npos);
  EXPECT_NE(render_status_text(report, {}).find("vq-admin resume"), std::string::npos);
}

TEST(StatusText, TextFromRecordsIsEscapedSoItCannotRepaintOrForgeLines) {
  StatusReport report = sample_report();
  const std::string clean = render_status_text(report, TextStyle{false});
  const auto clean_lines = std::count(clean.begin(), clean.end(), '\n');
  const std::string forged = "\x1b]0;owned\x07\x1b[2J\n  PID 1 (Agent: root)\r\xc2\x9b";
  report.active[0].agent += forged;
  report.active[0].cwd += forged;
  report.active[0].command += forged;
  report.waiting[0].agent += forged;
  report.stale[0].agent += forged;
  report.queue_dir += forged;
  std::string text = render_status_text(report, TextStyle{false});
  EXPECT_EQ(test::control_characters(text), 0) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), clean_lines) << text;
  EXPECT_NE(text.find("    /home/u/p\\x1b]0;owned\\x07\\x1b[2J\\n  PID 1 (Agent: root)\\r"
                      "\\xc2\\x9b: vitest run"),
            std::string::npos)
      << text;
}

TEST(StatusText, EachWaiterSaysWhatItIsBlockedOn) {
  StatusReport report = sample_report();
  report.active[0].estimate_bytes = 1ull << 30;
  report.waiting[0].reason = WaitReason{WaitBlock::pressure, 1, 4, 1, 1ull << 30, 0, 0, 0, 14.0};
  std::string text = render_status_text(report, TextStyle{false});
  EXPECT_NE(text.find("Estimate: 1024 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 PID 12350 (Agent: agent-5, Waiting: 12s) — memory pressure 14% (PSI "
                      "some), no new runs until it eases (1/4 busy)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace vq::admin
