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

// The leftovers of `holder`'s run only: status lists every ended run's leftovers of this user,
// and tests running beside this one leave theirs too.
std::vector<nlohmann::json> leftovers_of(const nlohmann::json& status, pid_t holder) {
  std::vector<nlohmann::json> mine;
  for (const auto& leftover : status["leftovers"]) {
    if (leftover["holder_pid"] == holder) mine.push_back(leftover);
  }
  return mine;
}

TEST_F(LeftoversTest, WorkerLeftBehindIsListedThenEndedByCleanupOrphans) {
  Process holder = start_holder("leaver", {{"FAKE_ORPHAN_MS", "20000"}, {"FAKE_SLEEP_MS", "800"}});
  std::vector<pid_t> kids;
  ASSERT_TRUE(eventually([&] { return !(kids = children(holder.pid())).empty(); }, 5s));
  const pid_t worker = kids[0];
  EXPECT_TRUE(leftovers_of(status_json(), holder.pid()).empty()) << "its run is still going";

  ASSERT_TRUE(holder.wait());
  ASSERT_TRUE(alive(worker));
  auto status = status_json();
  auto mine = leftovers_of(status, holder.pid());
  ASSERT_EQ(mine.size(), 1u) << status.dump(2);
  EXPECT_EQ(mine[0]["pid"], worker);
  EXPECT_NE(admin({"status"}).out.find("Leftovers"), std::string::npos);

  // Plain cleanup leaves them running (checked here, not in a test of its own, so that no
  // cleanup --orphans of a test beside it ends them meanwhile).
  EXPECT_EQ(admin({"cleanup"}).status, 0);
  sleep_for_ms(100);
  EXPECT_TRUE(alive(worker)) << "cleanup without --orphans ended a leftover";

  AdminResult cleaned = admin({"cleanup", "--orphans"});
  EXPECT_EQ(cleaned.status, 0) << cleaned.err;
  // "Ending 1 leftover process of ended runs", or more where tests beside this one left theirs.
  EXPECT_NE(cleaned.out.find(" of ended runs"), std::string::npos) << cleaned.out;
  EXPECT_NE(cleaned.out.find("PID " + std::to_string(worker)), std::string::npos) << cleaned.out;
  EXPECT_TRUE(eventually([&] { return !alive(worker); }, 5s)) << "the leftover still runs";
  // Its end reaches /proc a moment after the signal's (slower under the sanitizers).
  EXPECT_TRUE(eventually([&] { return leftovers_of(status_json(), holder.pid()).empty(); }, 5s));
}

}  // namespace
}  // namespace vq::mp
