#include "real_vitest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace vq {
namespace {

namespace fs = std::filesystem;

// A stand-in for the shim: a file whose identity plays /proc/self/exe.
struct Layout {
  test::TempDir tmp;
  fs::path root{tmp.path()};
  fs::path shim_dir = root / "shims";
  fs::path shim = shim_dir / "vitest";
  FileIdentity self;

  Layout() {
    fs::create_directories(shim_dir);
    make_executable(shim);
    self = *file_identity(shim.string());
  }

  static void make_executable(const fs::path& path) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "#!/bin/sh\n";
    fs::permissions(path, fs::perms::owner_all);
  }

  RealVitest find(const std::string& cwd, const std::string& path_variable,
                  const std::string& override_path = "") const {
    return find_real_vitest(RealVitestQuery{override_path, cwd, path_variable, self, {}});
  }
};

TEST(RealVitest, OverrideWins) {
  Layout layout;
  fs::path real = layout.root / "elsewhere/vitest";
  Layout::make_executable(real);
  Layout::make_executable(layout.root / "project/node_modules/.bin/vitest");
  auto found = layout.find((layout.root / "project").string(), "", real.string());
  EXPECT_EQ(found.outcome, RealVitest::Outcome::found);
  EXPECT_EQ(found.path, real.string());
}

TEST(RealVitest, OverrideNamingTheShimIsALoop) {
  Layout layout;
  fs::create_symlink(layout.shim, layout.root / "alias");
  auto found = layout.find(layout.root.string(), "", (layout.root / "alias").string());
  EXPECT_EQ(found.outcome, RealVitest::Outcome::loop);
  EXPECT_NE(found.reason.find("itself"), std::string::npos);
}

TEST(RealVitest, MissingOverrideIsNotFound) {
  Layout layout;
  auto found = layout.find(layout.root.string(), "", (layout.root / "nope").string());
  EXPECT_EQ(found.outcome, RealVitest::Outcome::not_found);
  EXPECT_NE(found.reason.find("VQ_REAL_VITEST"), std::string::npos);
}

TEST(RealVitest, NonExecutableOverrideIsReportedAsSuch) {
  Layout layout;
  std::ofstream(layout.root / "plain") << "x";
  fs::permissions(layout.root / "plain", fs::perms::owner_read);
  auto found = layout.find(layout.root.string(), "", (layout.root / "plain").string());
  EXPECT_EQ(found.outcome, RealVitest::Outcome::not_executable);
}

TEST(RealVitest, NearestNodeModulesUpwardFromTheWorkingDirectory) {
  Layout layout;
  Layout::make_executable(layout.root / "repo/node_modules/.bin/vitest");
  Layout::make_executable(layout.root / "repo/packages/app/node_modules/.bin/vitest");
  fs::create_directories(layout.root / "repo/packages/app/src");
  fs::create_directories(layout.root / "repo/packages/lib/src");

  auto app = layout.find((layout.root / "repo/packages/app/src").string(), "");
  EXPECT_EQ(app.path, (layout.root / "repo/packages/app/node_modules/.bin/vitest").string());
  auto lib = layout.find((layout.root / "repo/packages/lib/src").string(), "");
  EXPECT_EQ(lib.path, (layout.root / "repo/node_modules/.bin/vitest").string());
}

TEST(RealVitest, NextOnPathSkippingASelfSymlinkAndAHardLinkedCopy) {
  Layout layout;
  fs::path link_dir = layout.root / "linkdir";
  fs::path hard_dir = layout.root / "harddir";
  fs::path real_dir = layout.root / "realdir";
  fs::create_directories(link_dir);
  fs::create_directories(hard_dir);
  fs::create_symlink(layout.shim, link_dir / "vitest");
  fs::create_hard_link(layout.shim, hard_dir / "vitest");
  Layout::make_executable(real_dir / "vitest");
  fs::create_directories(layout.root / "empty");

  std::string path = layout.shim_dir.string() + ":" + link_dir.string() + ":" + hard_dir.string() +
                     ":" + real_dir.string();
  auto found = layout.find((layout.root / "empty").string(), path);
  EXPECT_EQ(found.outcome, RealVitest::Outcome::found);
  EXPECT_EQ(found.path, (real_dir / "vitest").string());
}

TEST(RealVitest, ShimsAlreadyInTheChainAreSkippedLikeSelf) {
  Layout layout;
  Layout::make_executable(layout.root / "other-install/vitest");  // a second vq, another file
  fs::path real_dir = layout.root / "realdir";
  Layout::make_executable(real_dir / "vitest");
  fs::create_directories(layout.root / "empty");
  RealVitestQuery query{"",
                        (layout.root / "empty").string(),
                        (layout.root / "other-install").string() + ":" + real_dir.string(),
                        layout.self,
                        {*file_identity((layout.root / "other-install/vitest").string())}};
  EXPECT_EQ(find_real_vitest(query).path, (real_dir / "vitest").string());
}

TEST(RealVitest, ShimChainRoundTripsAndIgnoresJunk) {
  std::vector<FileIdentity> chain{{1, 2}, {64769, 1234567}};
  EXPECT_EQ(parse_shim_chain(format_shim_chain(chain)), chain);
  EXPECT_TRUE(parse_shim_chain("").empty());
  EXPECT_EQ(parse_shim_chain("x,3:4,5:,:6,7:8x").size(), 1u);
}

TEST(RealVitest, OnlyTheShimOnPathIsNotFoundAndSaysSo) {
  Layout layout;
  fs::create_directories(layout.root / "empty");
  auto found = layout.find((layout.root / "empty").string(), layout.shim_dir.string());
  EXPECT_EQ(found.outcome, RealVitest::Outcome::not_found);
  EXPECT_NE(found.reason.find("only vq's shim"), std::string::npos) << found.reason;
}

TEST(RealVitest, NodeModulesBinLinkedToTheShimIsSkipped) {
  Layout layout;
  fs::create_directories(layout.root / "proj/node_modules/.bin");
  fs::create_symlink(layout.shim, layout.root / "proj/node_modules/.bin/vitest");
  fs::path real_dir = layout.root / "realdir";
  Layout::make_executable(real_dir / "vitest");
  auto found = layout.find((layout.root / "proj").string(), real_dir.string());
  EXPECT_EQ(found.path, (real_dir / "vitest").string());
}

TEST(RealVitest, NonExecutableAndDirectoriesAreSkipped) {
  Layout layout;
  fs::path a = layout.root / "a";
  fs::path b = layout.root / "b";
  fs::create_directories(a / "vitest");  // a directory named vitest
  fs::create_directories(b);
  std::ofstream(b / "vitest") << "not executable";
  fs::permissions(b / "vitest", fs::perms::owner_read);
  fs::path real_dir = layout.root / "realdir";
  Layout::make_executable(real_dir / "vitest");
  fs::create_directories(layout.root / "empty");
  auto found = layout.find((layout.root / "empty").string(),
                           a.string() + ":" + b.string() + ":" + real_dir.string());
  EXPECT_EQ(found.path, (real_dir / "vitest").string());
}

TEST(RealVitest, EmptyPathEntryMeansTheWorkingDirectory) {
  Layout layout;
  fs::path dir = layout.root / "work";
  Layout::make_executable(dir / "vitest");
  auto found = layout.find(dir.string(), "/nonexistent::/also-missing");
  EXPECT_EQ(found.path, (dir / "./vitest").string());
}

}  // namespace
}  // namespace vq
