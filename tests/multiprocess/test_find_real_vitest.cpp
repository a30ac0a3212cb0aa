// Finding the real vitest: VQ_REAL_VITEST, else the nearest node_modules/.bin/vitest upward
// from the working directory, else the next `vitest` on PATH that is not the shim itself (by
// inode, not by name). A loop back into the shim is refused loudly, never followed.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

namespace fs = std::filesystem;

class FindRealVitestTest : public ShimTest {
 protected:
  std::string shim_dir() const { return fs::path(shim_path()).parent_path().string(); }

  // A directory TMP/NAME holding `vitest`, a symlink to `target`.
  std::string dir_with_vitest_link(const std::string& name, const std::string& target) const {
    const std::string dir = tmp() + "/" + name;
    fs::create_directories(dir);
    fs::create_symlink(target, dir + "/vitest");
    return dir;
  }

  // A run found by search, not by VQ_REAL_VITEST, from `cwd` with only `path` on PATH.
  Launch searching_launch(const std::string& id, const std::string& path,
                          const std::string& cwd) const {
    Launch launch =
        shim_launch(id, {{"VQ_REAL_VITEST", ""}, {"PATH", path}, {"FAKE_ECHO_CWD", "1"}});
    launch.cwd = cwd;
    return launch;
  }

  std::string empty_dir() const {
    const std::string dir = tmp() + "/empty";
    fs::create_directories(dir);
    return dir;
  }
};

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

TEST_F(FindRealVitestTest, NoVitestAnywhereExits127WithAMessage) {
  for (fs::path dir = tmp(); !dir.empty(); dir = dir.parent_path()) {
    ASSERT_FALSE(path_exists((dir / "node_modules/.bin/vitest").string()))
        << "a vitest above the temporary directory spoils this test: " << dir;
    if (dir == dir.root_path()) break;
  }
  Process run(searching_launch("run", shim_dir(), empty_dir()));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(127)) << "stderr: " << run.stderr_text();
  EXPECT_EQ(run.stderr_text().rfind("vq: ", 0), 0u) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("vitest"), std::string::npos) << run.stderr_text();
}

TEST_F(FindRealVitestTest, RealVitestThatDoesNotExistExits127) {
  Process run(shim_launch("run", {{"VQ_REAL_VITEST", tmp() + "/no/such/vitest"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(127)) << "stderr: " << run.stderr_text();
  EXPECT_NE(run.stderr_text().find(tmp() + "/no/such/vitest"), std::string::npos)
      << "the message does not name the path: " << run.stderr_text();
}

TEST_F(FindRealVitestTest, RealVitestThatIsNotExecutableExits126) {
  write_file(tmp() + "/vitest", "#!/bin/sh\nexit 0\n", 0644);
  Process run(shim_launch("run", {{"VQ_REAL_VITEST", tmp() + "/vitest"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(126)) << "stderr: " << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("vq: "), std::string::npos) << run.stderr_text();
}

// The shim named directly, or through a symlink: either way it would run itself forever.
TEST_F(FindRealVitestTest, RealVitestThatIsTheShimItselfOrALinkToItIsRefusedAsALoop) {
  const std::string link = dir_with_vitest_link("link", shim_path()) + "/vitest";
  for (const std::string& target : {shim_path(), link}) {
    Process run(shim_launch("run", {{"VQ_REAL_VITEST", target}}));
    const auto status = run.wait(10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(126)) << target << ": " << run.stderr_text();
    const auto message = lowercase(run.stderr_text());
    EXPECT_TRUE(message.find("loop") != std::string::npos ||
                message.find("itself") != std::string::npos)
        << run.stderr_text();
  }
}

TEST_F(FindRealVitestTest, NearestNodeModulesBinUpwardFromTheWorkingDirectoryIsUsed) {
  // A farther node_modules that must lose to the nearer one.
  fs::create_directories(tmp() + "/node_modules/.bin");
  write_file(tmp() + "/node_modules/.bin/vitest", "#!/bin/sh\nexit 99\n", 0755);
  fs::create_directories(tmp() + "/project/node_modules/.bin");
  fs::create_symlink(fake_vitest_path(), tmp() + "/project/node_modules/.bin/vitest");
  const std::string cwd = tmp() + "/project/src/deep";
  fs::create_directories(cwd);

  Process run(searching_launch("run", shim_dir() + ":/usr/bin:/bin", cwd));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  EXPECT_EQ(run.stdout_text(), "cwd=" + cwd + "\n");
}

TEST_F(FindRealVitestTest, NextVitestOnPathSkipsEveryLinkToTheShim) {
  const std::string self_link = dir_with_vitest_link("self", shim_path());
  const std::string real = dir_with_vitest_link("real", fake_vitest_path());
  Process run(searching_launch("run", shim_dir() + ":" + self_link + ":" + real, empty_dir()));
  const auto status = run.wait(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
}

// Two installations of vq on PATH (say one in /usr/local, one in ~/.local) are two different
// files; VQ_SHIM_CHAIN lets the second skip the first, so the real vitest further on runs.
TEST_F(FindRealVitestTest, TwoCopiesOfTheShimOnPathDoNotLoopForever) {
  const std::string copy = tmp() + "/copy";
  fs::create_directories(copy);
  fs::copy_file(shim_path(), copy + "/vitest");
  ::chmod((copy + "/vitest").c_str(), 0755);
  const std::string real = dir_with_vitest_link("real", fake_vitest_path());

  Process run(searching_launch("run", shim_dir() + ":" + copy + ":" + real, empty_dir()));
  const auto status = run.wait(10s);
  ASSERT_TRUE(status) << "the shims exec'd each other until killed";
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
}

}  // namespace
}  // namespace vq::mp
