// Issue 15: processes a run left behind (still alive after the run ended) are listed by
// `status` and ended by `cleanup --orphans`, found through their VQ_HOLDER marker.
#include <signal.h>

#include <fstream>
#include <sstream>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using LeftoversTest = AdminTest;

std::vector<pid_t> children(pid_t pid) {
  std::vector<pid_t> found;
  std::ifstream list("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; list >> child;) found.push_back(child);
  return found;
}

bool alive(pid_t pid) {
  const char state = process_state(pid);
  return state != 0 && state != 'Z' && state != 'X';
}

TEST_F(LeftoversTest, WorkerLeftBehindIsListedThenEndedByCleanupOrphans) {
  Process holder = start_holder("leaver", {{"FAKE_ORPHAN_MS", "20000"}, {"FAKE_SLEEP_MS", "800"}});
  std::vector<pid_t> kids;
  ASSERT_TRUE(eventually([&] { return !(kids = children(holder.pid())).empty(); }, 5s));
  const pid_t worker = kids[0];
  EXPECT_TRUE(status_json()["leftovers"].empty()) << "its run is still going";

  ASSERT_TRUE(holder.wait());
  ASSERT_TRUE(alive(worker));
  auto status = status_json();
  ASSERT_EQ(status["leftovers"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["leftovers"][0]["pid"], worker);
  EXPECT_EQ(status["leftovers"][0]["holder_pid"], holder.pid());
  EXPECT_NE(admin({"status"}).out.find("Leftovers"), std::string::npos);

  AdminResult cleaned = admin({"cleanup", "--orphans"});
  EXPECT_EQ(cleaned.status, 0) << cleaned.err;
  EXPECT_NE(cleaned.out.find("Ending 1 leftover process of ended runs"), std::string::npos)
      << cleaned.out;
  EXPECT_NE(cleaned.out.find("PID " + std::to_string(worker)), std::string::npos) << cleaned.out;
  EXPECT_TRUE(eventually([&] { return !alive(worker); }, 5s)) << "the leftover still runs";
  // Its end reaches /proc a moment after the signal's (slower under the sanitizers).
  EXPECT_TRUE(eventually([&] { return status_json()["leftovers"].empty(); }, 5s));
}

TEST_F(LeftoversTest, CleanupWithoutOrphansLeavesThemRunning) {
  Process holder = start_holder("leaver", {{"FAKE_ORPHAN_MS", "20000"}, {"FAKE_SLEEP_MS", "300"}});
  std::vector<pid_t> kids;
  ASSERT_TRUE(eventually([&] { return !(kids = children(holder.pid())).empty(); }, 5s));
  ASSERT_TRUE(holder.wait());
  EXPECT_EQ(admin({"cleanup"}).status, 0);
  sleep_for_ms(100);
  EXPECT_TRUE(alive(kids[0]));
  ::kill(kids[0], SIGKILL);
}

}  // namespace
}  // namespace vq::mp
