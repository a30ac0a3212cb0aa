// Which execs the preload treats as vitest launches (preload/launch_match).
#include "launch_match.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "c_strings.h"
#include "temp_dir.h"

namespace vq::preload {
namespace {

using Strings = test::CStrings;

LaunchMatch match(const std::string& program, std::initializer_list<std::string> words) {
  Strings argv(words);
  auto buffers = std::make_unique<MatchBuffers>();
  return match_launch(program.c_str(), argv.get(), *buffers);
}

// Runs the rest of a test from `dir`, returning to the old directory afterwards.
class InDirectory {
 public:
  explicit InDirectory(const std::string& dir) : m_old(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~InDirectory() { std::filesystem::current_path(m_old); }

 private:
  std::filesystem::path m_old;
};

TEST(LaunchMatch, BinVitestExecIsALaunchWithArgumentsFromOne) {
  auto m = match("/p/node_modules/.bin/vitest", {"vitest", "run", "--reporter=dot"});
  EXPECT_EQ(m.kind, LaunchKind::bin_script);
  EXPECT_EQ(m.first_vitest_arg, 1);
}

TEST(LaunchMatch, RelativeBinVitestAsPnpmExecUsesIt) {
  EXPECT_EQ(match("./node_modules/.bin/vitest", {"vitest"}).kind, LaunchKind::bin_script);
  EXPECT_EQ(match("node_modules/.bin/vitest", {"vitest"}).kind, LaunchKind::bin_script);
}

TEST(LaunchMatch, LookalikeNamesAreNotLaunches) {
  EXPECT_EQ(match("/p/my_node_modules/.bin/vitest", {"vitest"}).kind, LaunchKind::none);
  EXPECT_EQ(match("/p/node_modules/.bin/vitest-x", {"vitest"}).kind, LaunchKind::none);
  EXPECT_EQ(match("/usr/local/lib/vq/shims/vitest", {"vitest"}).kind, LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/true", {"true"}).kind, LaunchKind::none);
}

TEST(LaunchMatch, NodeRunningVitestMjsAsPnpmScriptDoesIsALaunch) {
  auto m = match(
      "/usr/bin/node",
      {"node", "/p/node_modules/.bin/../.pnpm/vitest@5.1.2/node_modules/vitest/vitest.mjs", "run"});
  EXPECT_EQ(m.kind, LaunchKind::node_script);
  EXPECT_EQ(m.first_vitest_arg, 2);
}

TEST(LaunchMatch, NodeOptionsBeforeTheScriptAreSkipped) {
  auto m = match("/usr/bin/node", {"node", "--max-old-space-size=4096", "--require", "/x/hook.js",
                                   "-r", "y", "/p/node_modules/vitest/vitest.mjs", "run"});
  EXPECT_EQ(m.kind, LaunchKind::node_script);
  EXPECT_EQ(m.first_vitest_arg, 7);
}

TEST(LaunchMatch, YarnPnpZipPathIsALaunch) {
  auto m = match(
      "/usr/bin/node",
      {"node", "/p/.yarn/cache/vitest-npm-3.2.7-abc.zip/node_modules/vitest/vitest.mjs", "run"});
  EXPECT_EQ(m.kind, LaunchKind::node_script);
}

TEST(LaunchMatch, NodeRunningTheUnresolvedBinPathAsNpmDoesIsALaunch) {
  auto m = match("/usr/bin/nodejs", {"node", "/p/node_modules/.bin/vitest", "run"});
  EXPECT_EQ(m.kind, LaunchKind::node_script);
  EXPECT_EQ(m.first_vitest_arg, 2);
}

TEST(LaunchMatch, RelativeScriptIsResolvedAgainstTheWorkingDirectory) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "vitest");
  InDirectory in(dir / "vitest");
  EXPECT_EQ(match("/usr/bin/node", {"node", "vitest.mjs"}).kind, LaunchKind::node_script);
  EXPECT_EQ(match("/usr/bin/node", {"node", "other.mjs"}).kind, LaunchKind::none);
}

TEST(LaunchMatch, GlobalInstallSymlinkToVitestMjsIsALaunch) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "lib/node_modules/vitest");
  std::ofstream(dir / "lib/node_modules/vitest/vitest.mjs") << "";
  std::filesystem::create_directories(dir / "bin");
  std::filesystem::create_symlink("../lib/node_modules/vitest/vitest.mjs", dir / "bin/vitest");
  EXPECT_EQ(match("/usr/bin/node", {"node", dir / "bin/vitest", "run"}).kind,
            LaunchKind::node_script);
  std::filesystem::create_symlink("../lib/other.mjs", dir / "bin/other");
  EXPECT_EQ(match("/usr/bin/node", {"node", dir / "bin/other"}).kind, LaunchKind::none);
}

TEST(LaunchMatch, VitestWorkersAreNotLaunches) {
  EXPECT_EQ(match("/usr/bin/node", {"node", "/p/node_modules/tinypool/dist/entry/process.js"}).kind,
            LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "/p/node_modules/vitest/dist/workers/forks.js"}).kind,
            LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "/p/node_modules/vitest/dist/cli.js"}).kind,
            LaunchKind::none);
}

TEST(LaunchMatch, NodeWithoutAScriptFileIsNotALaunch) {
  EXPECT_EQ(match("/usr/bin/node", {"node"}).kind, LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "-e", "/p/node_modules/vitest/vitest.mjs"}).kind,
            LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "-pe", "1"}).kind, LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "--eval=1", "/p/node_modules/vitest/vitest.mjs"}).kind,
            LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "--print=1", "/p/node_modules/vitest/vitest.mjs"}).kind,
            LaunchKind::none);
  EXPECT_EQ(match("/usr/bin/node", {"node", "--require"}).kind, LaunchKind::none);
}

TEST(LaunchMatch, DoubleDashNamesTheScript) {
  auto m = match("/usr/bin/node", {"node", "--", "/p/node_modules/vitest/vitest.mjs", "run"});
  EXPECT_EQ(m.kind, LaunchKind::node_script);
  EXPECT_EQ(m.first_vitest_arg, 3);
}

TEST(LaunchMatch, OtherInterpretersAreNotChecked) {
  EXPECT_EQ(match("/usr/bin/python3", {"python3", "/p/node_modules/vitest/vitest.mjs"}).kind,
            LaunchKind::none);
}

TEST(LaunchMatch, EmptyArgvIsNotALaunch) {
  char* const empty[] = {nullptr};
  MatchBuffers buffers;
  EXPECT_EQ(match_launch("/p/node_modules/.bin/vitest", empty, buffers).kind, LaunchKind::none);
  EXPECT_EQ(match_launch("/p/node_modules/.bin/vitest", nullptr, buffers).kind, LaunchKind::none);
}

TEST(LaunchMatch, CandidateFilterLetsOnlyVitestAndNodeNamesThrough) {
  EXPECT_TRUE(is_launch_candidate("/p/node_modules/.bin/vitest"));
  EXPECT_TRUE(is_launch_candidate("node"));
  EXPECT_TRUE(is_launch_candidate("/usr/bin/nodejs"));
  EXPECT_FALSE(is_launch_candidate("/bin/sh"));
  EXPECT_FALSE(is_launch_candidate("/usr/bin/env"));
}

}  // namespace
}  // namespace vq::preload
