// `vq-admin limit` and `pause`/`resume` change admission at run time.
#include <signal.h>

#include <cstdio>
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminSteerTest = AdminTest;

TEST_F(AdminSteerTest, RaisingTheLimitAdmitsAWaiterPromptly) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"FAKE_SLEEP_MS", "30000"}});

  const auto before = monotonic_ns();
  const AdminResult result = admin({"limit", "2"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("Limit raised from 1 to 2"), std::string::npos) << result.out;
  ASSERT_TRUE(eventually([&] { return has_started("waiter"); }, 10s)) << waiter.stderr_text();
  const auto admitted = find_event(records(), RecordEvent::Kind::start, "waiter");
  const double latency_ms = (admitted->ns - before) / 1e6;
  std::printf("[   INFO   ] waiter admitted %.1f ms after `vq-admin limit 2` started\n",
              latency_ms);
  RecordProperty("limit_raise_admission_us", static_cast<int>(latency_ms * 1000));
  EXPECT_LT(latency_ms, 2000.0);
  EXPECT_EQ(status_json()["limit"], 2);
}

TEST_F(AdminSteerTest, LoweringTheLimitLetsHoldersFinishAndAdmitsNobodyOverIt) {
  Process a = start_holder("a", {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "1500"}});
  Process b = start_holder("b", {{"FAKE_SLEEP_MS", "1500"}});
  ASSERT_EQ(admin({"limit", "1"}).status, 0);
  Process c = start_waiter("c", {{"FAKE_SLEEP_MS", "10"}});
  Process d(shim_launch("d", {{"FAKE_SLEEP_MS", "10"}}));
  for (Process* run : {&a, &b, &c, &d}) {
    const auto status = run->wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << "nobody is stopped by a lower limit";
  }
  // c and d ran one at a time, after both holders: the old holders overlap, nobody else does.
  const auto events = records();
  const auto c_start = find_event(events, RecordEvent::Kind::start, "c");
  const auto a_end = find_event(events, RecordEvent::Kind::end, "a");
  const auto b_end = find_event(events, RecordEvent::Kind::end, "b");
  ASSERT_TRUE(c_start && a_end && b_end);
  EXPECT_GT(c_start->ns, std::max(a_end->ns, b_end->ns));
  EXPECT_EQ(max_overlap(events), 2);
}

TEST_F(AdminSteerTest, PauseHoldsNewArrivalsWhileRunningOnesFinishAndResumeAdmits) {
  Process running = start_holder("running", {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "800"}});
  const AdminResult paused = admin({"pause"});
  ASSERT_EQ(paused.status, 0) << paused.err;
  EXPECT_NE(paused.out.find("Admission paused"), std::string::npos) << paused.out;

  // A free slot, but paused: the arrival waits.
  Process arrival = start_waiter("arrival", {{"FAKE_SLEEP_MS", "10"}});
  const auto running_status = running.wait();
  ASSERT_TRUE(running_status);
  EXPECT_EQ(describe_status(*running_status), exited(0)) << "the running holder finishes";
  const nlohmann::json status = status_json();
  EXPECT_EQ(status["paused"], true);
  ASSERT_EQ(status["waiting"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["waiting"][0]["pid"], arrival.pid());
  EXPECT_TRUE(status["active"].empty());
  EXPECT_NE(admin({"status"}).out.find("Paused: yes"), std::string::npos);
  EXPECT_FALSE(has_started("arrival"));

  ASSERT_EQ(admin({"resume"}).status, 0);
  ASSERT_TRUE(eventually([&] { return has_started("arrival"); }, 10s)) << arrival.stderr_text();
  const auto status_after = arrival.wait();
  ASSERT_TRUE(status_after);
  EXPECT_EQ(describe_status(*status_after), exited(0));
}

TEST_F(AdminSteerTest, LimitOutOfRangeIsAUsageErrorThatNamesTheRange) {
  const AdminResult zero = admin({"limit", "0"});
  EXPECT_EQ(zero.status, 2);
  EXPECT_NE(zero.err.find("vq-admin: error: "), std::string::npos) << zero.err;
  EXPECT_NE(zero.err.find("1 to 64"), std::string::npos) << zero.err;
  EXPECT_EQ(admin({"limit", "65"}).status, 2);
  EXPECT_EQ(admin({"limit", "many"}).status, 2);
}

}  // namespace
}  // namespace vq::mp

namespace vq::mp {
namespace {

using AdminSteerFreshQueueTest = AdminTest;

// With no VQ_MAX_PROCESSES a first launch would seed 4: a late launch that times out behind one
// holder proves the queue was created with the limit given.
TEST_F(AdminSteerFreshQueueTest, LimitOnAQueueNoRunHasUsedCreatesItWithThatLimit) {
  const AdminResult result = admin({"limit", "1"});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("Created the queue " + queue_dir() + " with limit 1"),
            std::string::npos)
      << result.out;
  const nlohmann::json status = status_json();
  EXPECT_EQ(status["table"], "valid");
  EXPECT_EQ(status["limit"], 1);

  Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
  Process late(shim_launch("late", {{"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto late_status = late.wait();
  ASSERT_TRUE(late_status);
  EXPECT_EQ(describe_status(*late_status), exited(75)) << late.stderr_text();
  EXPECT_FALSE(has_started("late"));
}

TEST_F(AdminSteerFreshQueueTest, PauseOnAQueueNoRunHasUsedCreatesItPaused) {
  const AdminResult result = admin({"pause"}, {{"VQ_MAX_PROCESSES", "3"}});
  ASSERT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("Admission paused"), std::string::npos) << result.out;
  const nlohmann::json status = status_json();
  EXPECT_EQ(status["paused"], true);
  EXPECT_EQ(status["limit"], 3) << "seeded as the shim seeds it";

  Process arrival = start_waiter("arrival", {{"FAKE_SLEEP_MS", "10"}});
  EXPECT_FALSE(has_started("arrival"));
  ASSERT_EQ(admin({"resume"}).status, 0);
  const auto arrival_status = arrival.wait();
  ASSERT_TRUE(arrival_status);
  EXPECT_EQ(describe_status(*arrival_status), exited(0)) << arrival.stderr_text();
  EXPECT_TRUE(has_started("arrival"));
}

}  // namespace
}  // namespace vq::mp
