// Every wait explained: a waiter held back by memory room says so, with the figures, on its wait
// line and in `vq-admin status` (text and JSON). A holder whose estimate is far beyond the machine
// and that has not grown yet reserves it all, so a free slot is not enough: no root, no cgroup.
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using nlohmann::json;
using AdminMemoryWaitTest = AdminTest;

constexpr long long k_huge = 64LL << 40;  // 64 TiB: more than any machine this runs on

TEST_F(AdminMemoryWaitTest, AWaiterBlockedOnMemoryShowsItsNeedAndTheRoomEverywhere) {
  Process holder = start_holder(
      "holder",
      {{"VQ_MAX_PROCESSES", "4"}, {"VQ_MEMORY_ESTIMATE", "64T"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"VQ_MEMORY_ESTIMATE", "512M"}});
  EXPECT_NE(waiter.stderr_text().find("needs ~512 MiB, room 0 MiB: available "), std::string::npos)
      << waiter.stderr_text();

  const json status = status_json();
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["active"][0]["memory_estimate_bytes"], k_huge);
  ASSERT_EQ(status["waiting"].size(), 1u) << status.dump(2);
  const json& waiting = status["waiting"][0];
  EXPECT_EQ(waiting["blocked_on"], "memory") << status.dump(2);
  EXPECT_EQ(waiting["memory_estimate_bytes"], 512LL << 20);
  EXPECT_GT(waiting["room"]["available_bytes"].get<long long>(), 0);
  EXPECT_GT(waiting["room"]["growing_bytes"].get<long long>(), k_huge - (1LL << 30));
  EXPECT_NE(waiting["blocked_reason"].get<std::string>().find("(1/4 busy)"), std::string::npos);

  AdminResult text = admin({"status"});
  EXPECT_NE(text.out.find("needs ~512 MiB, room 0 MiB"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Estimate: 65536.0 GiB"), std::string::npos) << text.out;
}

TEST_F(AdminMemoryWaitTest, WithMemoryAdmissionOffAFreeSlotIsEnough) {
  Process holder = start_holder(
      "holder",
      {{"VQ_MAX_PROCESSES", "4"}, {"VQ_MEMORY_ESTIMATE", "64T"}, {"FAKE_SLEEP_MS", "30000"}});
  Process counted =
      start_holder("counted", {{"VQ_MEMORY_ADMISSION", "0"}, {"FAKE_SLEEP_MS", "30000"}});
  EXPECT_TRUE(has_started("counted"));
  const json status = status_json();
  EXPECT_EQ(status["busy"], 2) << status.dump(2);
}

}  // namespace
}  // namespace vq::mp
