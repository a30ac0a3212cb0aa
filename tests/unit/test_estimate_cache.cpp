#include "estimate_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace vq
