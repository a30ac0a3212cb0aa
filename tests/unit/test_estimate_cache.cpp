#include "estimate_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "estimate_refresh.h"
#include "memory_admission.h"
#include "temp_dir.h"

namespace vq {
namespace {

TEST(EstimateCache, ProjectIsTheDirectoryHoldingNodeModules) {
  EXPECT_EQ(project_of_vitest("/home/u/app/node_modules/.bin/vitest"), "/home/u/app");
  EXPECT_EQ(project_of_vitest("/home/u/app/node_modules/.pnpm/vitest@3.2.4/node_modules/vitest/"
                              "vitest.mjs"),
            "/home/u/app");
  EXPECT_EQ(project_of_vitest("/usr/bin/vitest"), "");
}

// A vitest outside node_modules (a checkout of vitest itself): the shim and the watcher both
// name its project by the nearest package.json, so its learned estimate is found again.
TEST(EstimateCache, AVitestOutsideNodeModulesBelongsToTheNearestPackageJson) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "vitest/packages/vitest/dist");
  std::ofstream(dir / "vitest/packages/vitest/package.json") << "{}";
  EXPECT_EQ(project_of_vitest(dir / "vitest/packages/vitest/dist/cli.js"),
            dir / "vitest/packages/vitest");
  EXPECT_EQ(project_of_vitest("relative/dist/cli.js"), "");
}

TEST(EstimateCache, StoredEstimatesAreReadBackPerProjectAndReplaced) {
  test::TempDir queue;
  EXPECT_FALSE(cached_estimate(queue.path(), "/p/a"));
  ASSERT_TRUE(store_estimate(queue.path(), "/p/a", {100, 3}));
  ASSERT_TRUE(store_estimate(queue.path(), "/p/with space", {200, 1}));
  ASSERT_TRUE(store_estimate(queue.path(), "/p/a", {150, 4}));
  auto a = cached_estimate(queue.path(), "/p/a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bytes, 150u);
  EXPECT_EQ(a->samples, 4);
  EXPECT_EQ(cached_estimate(queue.path(), "/p/with space")->bytes, 200u);
  EXPECT_FALSE(cached_estimate(queue.path(), "/p"));
  EXPECT_FALSE(store_estimate(queue.path(), "", {1, 1}));
}

TEST(EstimateCache, LaunchUsesTheOverrideThenTheLearnedThenTheColdEstimate) {
  test::TempDir queue;
  const std::string vitest = "/p/a/node_modules/.bin/vitest";
  Config config;
  EXPECT_EQ(launch_estimate(config, queue.path(), vitest), std::uint64_t{1} << 30);
  ASSERT_TRUE(store_estimate(queue.path(), "/p/a", {700u << 20, 5}));
  EXPECT_EQ(launch_estimate(config, queue.path(), vitest), std::uint64_t{700} << 20);
  config.memory_estimate = 42;
  EXPECT_EQ(launch_estimate(config, queue.path(), vitest), 42u);
}

// A waiter asks on every tick: the file is read again once it changed (or was changed too
// recently for its timestamp to tell), and only a figure for its own project counts.
TEST(EstimateCache, ARefreshReadsTheFileAgainOnlyOnceItChanged) {
  test::TempDir queue;
  const auto file = std::filesystem::path(queue.path()) / k_estimates_file;
  // Settled long ago: the stamp alone tells whether it changed.
  auto settle = [&] {
    std::filesystem::last_write_time(
        file, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  };
  EstimateRefresh refresh(queue.path(), "/p/a");
  EXPECT_FALSE(refresh.learned());
  ASSERT_TRUE(store_estimate(queue.path(), "/p/other", {300, 1}));
  EXPECT_FALSE(refresh.learned());
  ASSERT_TRUE(store_estimate(queue.path(), "/p/a", {470u << 20, 1}));
  settle();
  EXPECT_EQ(refresh.learned(), std::uint64_t{470} << 20);
  EXPECT_FALSE(refresh.learned());  // unchanged since
  // Rewritten at once with a line of the same length: a coarse clock may give the same stamp.
  ASSERT_TRUE(store_estimate(queue.path(), "/p/a", {520u << 20, 2}));
  EXPECT_EQ(refresh.learned(), std::uint64_t{520} << 20);
  ASSERT_TRUE(store_estimate(queue.path(), "/p/a", {530u << 20, 3}));
  EXPECT_EQ(refresh.learned(), std::uint64_t{530} << 20);
  EXPECT_FALSE(EstimateRefresh(queue.path(), "").learned());
}

}  // namespace
}  // namespace vq
