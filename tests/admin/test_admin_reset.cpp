// `vq-admin reset` rebuilds a corrupted table, refuses while runs are live, and --force
// rebuilds anyway without admitting anyone past a live holder.
#include <random>
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminResetTest = AdminTest;

void corrupt_table(const std::string& queue_dir) {
  std::mt19937 random(7);
  std::string garbage(64 * 1024, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  write_file(queue_dir + "/slots.table", garbage, 0600);
}

TEST_F(AdminResetTest, CorruptedTableIsReportedThenRebuilt) {
  Process first(shim_launch("first", {{"VQ_MAX_PROCESSES", "3"}}));
  ASSERT_TRUE(first.wait());
  corrupt_table(queue_dir());

  const AdminResult status = admin({"status"});
  EXPECT_EQ(status.status, 69) << status.out;
  EXPECT_NE(status.out.find("Table: corrupt"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("vq-admin reset"), std::string::npos) << status.out;
  const AdminResult limit = admin({"limit", "2"});
  EXPECT_EQ(limit.status, 69);
  EXPECT_NE(limit.err.find("vq-admin reset"), std::string::npos) << limit.err;

  const AdminResult reset = admin({"reset"}, {{"VQ_MAX_PROCESSES", "3"}});
  ASSERT_EQ(reset.status, 0) << reset.err;
  EXPECT_NE(reset.out.find("it was corrupt"), std::string::npos) << reset.out;
  const nlohmann::json after = status_json();
  EXPECT_EQ(after["table"], "valid");
  EXPECT_EQ(after["limit"], 3);
}

TEST_F(AdminResetTest, RefusesWhileAHolderIsLiveAndForceRebuildsKeepingItsSlot) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  corrupt_table(queue_dir());

  const AdminResult refused = admin({"reset"}, {{"VQ_MAX_PROCESSES", "1"}});
  EXPECT_EQ(refused.status, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("refusing"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("holder PID " + std::to_string(holder.pid())), std::string::npos)
      << "it says what would be lost: " << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;

  const AdminResult forced = admin({"reset", "--force"}, {{"VQ_MAX_PROCESSES", "1"}});
  ASSERT_EQ(forced.status, 0) << forced.err;
  const nlohmann::json status = status_json();
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["active"][0]["pid"], holder.pid());
  EXPECT_EQ(status["active"][0]["has_record"], false);

  // The slot is the kernel lock: nobody gets in past the live holder after the rebuild.
  Process late(shim_launch("late", {{"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto late_status = late.wait();
  ASSERT_TRUE(late_status);
  EXPECT_EQ(describe_status(*late_status), exited(75)) << late.stderr_text();
}

}  // namespace
}  // namespace vq::mp
