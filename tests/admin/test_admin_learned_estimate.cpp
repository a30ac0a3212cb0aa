// A waiter launched before its project's estimate was learned starts with the cold default; the
// estimate learned while it waits (the queue's estimates file, as the watcher writes it) is what
// it is judged by on its next tick, and what its record (so status, and the waiters behind)
// says. Inside a real 1 GiB memory cgroup (root), so the room is known: the cold 1 GiB never
// fits beside a holder, a small learned figure does.
#include <string>

#include "admin_harness.h"
#include "estimate_cache.h"
#include "memory_cgroup.h"

namespace vq::mp {
namespace {

using nlohmann::json;
using AdminLearnedEstimateTest = AdminTest;

constexpr std::uint64_t k_budget = std::uint64_t{1} << 30;
constexpr std::uint64_t k_still_too_big = std::uint64_t{900} << 20;
constexpr std::uint64_t k_fits = std::uint64_t{64} << 20;

std::optional<json> entry_of(const json& runs, pid_t pid) {
  for (const json& run : runs) {
    if (run["pid"] == pid) return run;
  }
  return std::nullopt;
}

TEST_F(AdminLearnedEstimateTest, AColdWaiterIsAdmittedOnceALearnedEstimateFits) {
  MemoryCgroup cgroup(k_budget);
  if (cgroup.dir().empty()) GTEST_SKIP() << "needs root and a memory cgroup to create one in";
  const std::string vitest = install_fake_vitest(tmp() + "/project", "3.2.4");
  ASSERT_FALSE(vitest.empty());
  const std::string project = project_of_vitest(vitest);
  Env env{{"VQ_REAL_VITEST", vitest}, {"VQ_MAX_PROCESSES", "4"}, {"VQ_MEMORY_RESERVE", "0"},
          {"FAKE_SLEEP_MS", "30000"}, {"VQ_WATCH", "0"},         {"VQ_QUEUE_TIMEOUT", "60"}};
  Env holder_env = env;
  holder_env["VQ_MEMORY_ESTIMATE"] = "256M";
  Process holder(launch_in(cgroup, shim_launch("holder", holder_env)));
  ASSERT_TRUE(eventually([&] { return has_started("holder"); }));
  Process waiter(launch_in(cgroup, shim_launch("waiter", env)));
  ASSERT_TRUE(eventually([&] {
    auto entry = entry_of(status_json()["waiting"], waiter.pid());
    return entry && (*entry)["blocked_on"] == "memory";
  })) << waiter.stderr_text();
  EXPECT_EQ(entry_of(status_json()["waiting"], waiter.pid()).value()["memory_estimate_bytes"],
            std::uint64_t{1} << 30);

  // Learned, but still more than the room: the record says so, the waiter keeps waiting.
  ASSERT_TRUE(store_estimate(queue_dir(), project, CachedEstimate{k_still_too_big, 1}));
  EXPECT_TRUE(eventually([&] {
    auto entry = entry_of(status_json()["waiting"], waiter.pid());
    return entry && (*entry)["memory_estimate_bytes"] == k_still_too_big &&
           (*entry)["blocked_reason"].get<std::string>().find("needs ~900 MiB") == 0;
  })) << status_json().dump(2);
  EXPECT_FALSE(has_started("waiter"));

  ASSERT_TRUE(store_estimate(queue_dir(), project, CachedEstimate{k_fits, 2}));
  ASSERT_TRUE(eventually([&] { return has_started("waiter"); }, 5s)) << status_json().dump(2);
  auto admitted = entry_of(status_json()["active"], waiter.pid());
  ASSERT_TRUE(admitted) << status_json().dump(2);
  EXPECT_EQ((*admitted)["memory_estimate_bytes"], k_fits);
}

}  // namespace
}  // namespace vq::mp
