#include "watch_request.h"

#include "admission_message.h"

#include <gtest/gtest.h>

namespace vq::watch {
namespace {

TEST(WatchRequest, WatchRequestSurvivesItsCommandLine) {
  WatchRequest request;
  request.queue_dir = "/tmp/vq-1000";
  request.slot = 3;
  request.pid = 4242;
  request.start_time = 987654321;
  request.agent = "shell@pts/3";
  request.command = "vitest run --reporter=dot a=b";
  request.cwd = "/home/u/proj";
  request.vitest = "/home/u/proj/node_modules/.bin/vitest";
  request.vitest_version = "3.2.4";
  request.priority = 2;
  request.queued_at_ms = 1700000000000;
  request.admitted_at_ms = 1700000000500;
  request.oom_file = "/sys/fs/cgroup/memory/a b/memory.oom_control";
  request.oom_kills_before = 0;
  auto parsed = parse_arguments(to_arguments(request));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->mode, WatchRequest::Mode::watch);
  EXPECT_EQ(parsed->slot, 3);
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->start_time, 987654321u);
  EXPECT_EQ(parsed->command, request.command) << "values may hold '=' and spaces";
  EXPECT_EQ(parsed->vitest_version, "3.2.4");
  EXPECT_EQ(parsed->priority, 2);
  EXPECT_EQ(parsed->admitted_at_ms, request.admitted_at_ms);
  EXPECT_EQ(parsed->oom_file, request.oom_file);
  EXPECT_EQ(parsed->oom_kills_before, std::optional<std::uint64_t>(0)) << "zero is a baseline";
}

TEST(WatchRequest, RecordRequestNeedsHowTheWaitEnded) {
  WatchRequest request;
  request.mode = WatchRequest::Mode::record;
  request.pid = 7;
  request.end = "interrupted";
  request.end_code = 2;
  request.ended_at_ms = 5;
  auto parsed = parse_arguments(to_arguments(request));
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->admitted_at_ms);
  EXPECT_EQ(parsed->end_code, 2);
  EXPECT_FALSE(parse_arguments({"record", "pid=7", "end=exploded"}));
  EXPECT_FALSE(parse_arguments({"record", "pid=7"}));
}

TEST(WatchRequest, BadArgumentsAreRefused) {
  EXPECT_FALSE(parse_arguments({}));
  EXPECT_FALSE(parse_arguments({"sample", "pid=1"}));
  EXPECT_FALSE(parse_arguments({"watch", "pid=x"}));
  EXPECT_FALSE(parse_arguments({"watch", "colour=blue", "pid=1"}));
  EXPECT_FALSE(parse_arguments({"watch", "slot=2"})) << "no pid";
}

TEST(AdmissionMessage, AdmissionAndEndsSurviveTheLineAndOthersAreRefused) {
  WatchRequest pending;
  pending.pid = 42;
  pending.queued_at_ms = 100;
  WatchRequest admitted = pending;
  admitted.slot = 2;
  admitted.admitted_at_ms = 250;
  admitted.oom_kills_before = 7;
  WatchRequest told = pending;
  ASSERT_TRUE(apply_admission_message(admission_message(admitted), told));
  EXPECT_EQ(told.mode, WatchRequest::Mode::watch);
  EXPECT_EQ(told.slot, 2);
  EXPECT_EQ(told.admitted_at_ms, std::optional<std::int64_t>(250));
  EXPECT_EQ(told.oom_kills_before, std::optional<std::uint64_t>(7));
  EXPECT_EQ(told.queued_at_ms, 100) << "what the watcher was started with stays";

  WatchRequest ended = pending;
  ended.mode = WatchRequest::Mode::record;
  ended.end = "interrupted";
  ended.end_code = 2;
  ended.ended_at_ms = 900;
  told = pending;
  ASSERT_TRUE(apply_admission_message(admission_message(ended), told));
  EXPECT_EQ(told.mode, WatchRequest::Mode::record);
  EXPECT_EQ(told.end, "interrupted");
  EXPECT_EQ(told.end_code, 2);
  EXPECT_EQ(told.ended_at_ms, 900);

  for (const char* bad : {"", "watch", "watch slot=2", "admitted slot=2 admitted_ms=1",
                          "record end=exited ended_ms=1", "watch slot=x admitted_ms=1",
                          "watch slot=2 admitted_ms=1 pid=", "watch  slot=2 admitted_ms=1"}) {
    told = pending;
    EXPECT_FALSE(apply_admission_message(bad, told)) << bad;
    EXPECT_EQ(told.mode, WatchRequest::Mode::watch) << bad;
    EXPECT_EQ(told.slot, -1) << "a refused line changes nothing: " << bad;
  }
}

}  // namespace
}  // namespace vq::watch
