// Issue 15: `status` shows each holder's memory (current and peak so far) and CPU from its
// watcher where it has one, and its own reading of /proc where it has none.
#include "admin_harness.h"

namespace vq::mp {
namespace {

using LiveStatusTest = AdminTest;
constexpr std::int64_t k_mib = 1 << 20;

TEST_F(LiveStatusTest, WatchedHolderShowsItsWatchersPssAndPeak) {
  // 100 MiB shared by three processes, 50 MiB each child's own: 200 MiB of PSS, 400 of RSS.
  Process holder = start_holder(
      "tree",
      {{"FAKE_SHARED_MIB", "100"}, {"FAKE_CHILD_OWN_MIB", "50"}, {"FAKE_SLEEP_MS", "4000"}});
  nlohmann::json run;
  ASSERT_TRUE(eventually(
      [&] {
        auto status = status_json();
        if (status["active"].empty()) return false;
        run = status["active"][0];
        return run["measured_by"] == "watcher" &&
               run["memory_bytes"].get<std::int64_t>() > 190 * k_mib;
      },
      10s))
      << run.dump(2);
  EXPECT_EQ(run["memory_kind"], "pss");
  EXPECT_LE(run["memory_bytes"].get<std::int64_t>(), 240 * k_mib) << "RSS would say 400 MiB";
  EXPECT_GE(run["peak_memory_bytes"].get<std::int64_t>(), run["memory_bytes"].get<std::int64_t>());
  EXPECT_TRUE(run["cpu_seconds"].is_number());
  AdminResult text = admin({"status"});
  EXPECT_NE(text.out.find(", PSS: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(peak "), std::string::npos) << text.out;
  holder.send(SIGTERM);
}

TEST_F(LiveStatusTest, UnwatchedHolderShowsStatussOwnRss) {
  Process holder = start_holder("plain", {{"VQ_WATCH", "0"}, {"FAKE_SLEEP_MS", "4000"}});
  auto status = status_json();
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  const auto& run = status["active"][0];
  EXPECT_EQ(run["measured_by"], "status");
  EXPECT_EQ(run["memory_kind"], "rss");
  EXPECT_EQ(run["memory_bytes"], run["rss_bytes"]);
  EXPECT_TRUE(run["peak_memory_bytes"].is_null());
  holder.send(SIGTERM);
}

}  // namespace
}  // namespace vq::mp
