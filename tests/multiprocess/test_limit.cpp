// Invariant 1: never more than `limit` runs admitted at once, counted by what really ran.
#include <cstdio>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

using LimitTest = ShimTest;

TEST_F(LimitTest, SixteenLaunchesWithLimitFourNeverOverlapMoreThanFourAndAllSucceed) {
  constexpr int k_launches = 16;
  const auto began = monotonic_ns();
  std::vector<Process> runs;
  for (int i = 0; i < k_launches; ++i) {
    const std::string id = "run" + std::to_string(i);
    runs.emplace_back(shim_launch(id, {{"VQ_MAX_PROCESSES", "4"}, {"FAKE_SLEEP_MS", "300"}}));
  }
  for (auto& run : runs) {
    const auto status = run.wait(60s);
    ASSERT_TRUE(status) << "pid " << run.pid() << " hung";
    EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  }
  const auto elapsed_ms = (monotonic_ns() - began) / 1'000'000;

  const auto events = records();
  EXPECT_EQ(events.size(), 2u * k_launches) << read_file(record_path());
  const int overlap = max_overlap(events);
  std::printf("[   INFO   ] 16 runs of 300 ms at limit 4: max overlap %d, %lld ms in all\n",
              overlap, static_cast<long long>(elapsed_ms));
  EXPECT_LE(overlap, 4);
  // A shim that serialises everything would also stay under the limit; it must not pass.
  EXPECT_GE(overlap, 2);
}

// A crowd piles up behind busy holders: nobody gives up on the queue (fails open) and the limit
// holds while they drain. A queue that did too much work per wake-up under its lock made waiters
// time out on that lock and run unqueued here.
TEST_F(LimitTest, CrowdOfWaitersNeverFailsOpenAndDrainsWithinTheLimit) {
  constexpr int k_waiters = 150;
  std::vector<Process> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(start_holder("holder" + std::to_string(i),
                                   {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "3000"}}));
  }
  std::vector<Process> crowd;
  for (int i = 0; i < k_waiters; ++i) {
    crowd.emplace_back(
        shim_launch("w" + std::to_string(i), {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "5"}}));
  }
  const auto began = monotonic_ns();
  for (auto& run : holders) ASSERT_TRUE(run.wait(60s));
  for (auto& run : crowd) {
    const auto status = run.wait(120s);
    ASSERT_TRUE(status) << "pid " << run.pid() << " hung";
    EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
    EXPECT_EQ(run.stderr_text().find("warning"), std::string::npos) << run.stderr_text();
  }
  const auto events = records();
  EXPECT_EQ(events.size(), 2u * (k_waiters + 2));
  EXPECT_LE(max_overlap(events), 2);
  std::printf("[   INFO   ] %d waiters behind 2 holders drained in %lld ms\n", k_waiters,
              static_cast<long long>((monotonic_ns() - began) / 1'000'000));
}

TEST_F(LimitTest, RunsOfTheSameAgentIdRunOneAtATime) {
  std::vector<Process> runs;
  for (int i = 0; i < 3; ++i) {
    runs.emplace_back(shim_launch(
        "agent-run" + std::to_string(i),
        {{"VQ_MAX_PROCESSES", "4"}, {"VQ_AGENT_ID", "agent-a"}, {"FAKE_SLEEP_MS", "200"}}));
  }
  for (auto& run : runs) {
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  }
  EXPECT_EQ(records().size(), 6u);
  EXPECT_EQ(max_overlap(records()), 1);
}

TEST_F(LimitTest, RunsOfDifferentAgentIdsShareTheGlobalLimit) {
  std::vector<Process> runs;
  for (int i = 0; i < 3; ++i) {
    runs.emplace_back(
        shim_launch("agent-run" + std::to_string(i), {{"VQ_MAX_PROCESSES", "4"},
                                                      {"VQ_AGENT_ID", "agent-" + std::to_string(i)},
                                                      {"FAKE_SLEEP_MS", "300"}}));
  }
  for (auto& run : runs) {
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  }
  EXPECT_EQ(records().size(), 6u);
  EXPECT_GE(max_overlap(records()), 2);
}

// The limit belongs to the queue, seeded when its table is created; a launch that brings another
// VQ_MAX_PROCESSES does not widen it for itself.
TEST_F(LimitTest, LimitIsTheQueuesOwnOnceCreatedNotEachLaunchesSetting) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process late(shim_launch("late", {{"VQ_MAX_PROCESSES", "4"}, {"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto status = late.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << "stderr: " << late.stderr_text();
  EXPECT_FALSE(has_started("late"));
}

}  // namespace
}  // namespace vq::mp
