#include "single_worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string_view>

#include "temp_dir.h"

namespace vq {
namespace {

using Args = std::vector<std::string>;
namespace fs = std::filesystem;

TEST(SingleWorker, ParsesVersions) {
  EXPECT_EQ(parse_version("3.2.4"), (VitestVersion{3, 2, 4}));
  EXPECT_EQ(parse_version("v1.0.0"), (VitestVersion{1, 0, 0}));
  EXPECT_EQ(parse_version("4.0.0-beta.3"), (VitestVersion{4, 0, 0}));
  EXPECT_FALSE(parse_version("4.0").has_value());
  EXPECT_FALSE(parse_version("latest").has_value());
  EXPECT_FALSE(parse_version("4.0.0x").has_value());
}

TEST(SingleWorker, ModernVersionsGetNoFileParallelismAtTheEnd) {
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{3, 2, 4}),
            (Args{"run", "--no-file-parallelism"}));
  EXPECT_EQ(single_worker_args({}, VitestVersion{4, 1, 12}), (Args{"--no-file-parallelism"}));
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{1, 1, 0}),
            (Args{"run", "--no-file-parallelism"}));
}

TEST(SingleWorker, FiveTurnsOffTheIsolateHintThatForcingWouldSetOff) {
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{5, 1, 2}),
            (Args{"run", "--no-file-parallelism", "--experimental.diagnostics.isolate=false"}));
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{5, 0, 0}),
            (Args{"run", "--no-file-parallelism", "--experimental.diagnostics.isolate=false"}));
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{4, 1, 12}),
            (Args{"run", "--no-file-parallelism"}));
  for (const char* given :
       {"--experimental.diagnostics=false", "--experimental.diagnostics.isolate",
        "--no-experimental.diagnostics.import"}) {
    EXPECT_EQ(single_worker_args({"run", given}, VitestVersion{5, 1, 2}),
              (Args{"run", given, "--no-file-parallelism"}))
        << given;
  }
}

TEST(SingleWorker, MoreWorkersSetTheMaximumsAndAddNoOneWorkerFlag) {
  EXPECT_EQ(worker_args({"run"}, VitestVersion{3, 2, 4}, 1),
            single_worker_args({"run"}, VitestVersion{3, 2, 4}));
  EXPECT_EQ(worker_env(1), single_worker_env());
  EXPECT_EQ(worker_args({"run", "--", "x"}, VitestVersion{5, 1, 2}, 4), (Args{"run", "--", "x"}));
  const auto env = worker_env(4);
  const std::vector<std::pair<std::string, std::string>> want = {{"VITEST_MAX_WORKERS", "4"},
                                                                 {"VITEST_MAX_FORKS", "4"},
                                                                 {"VITEST_MIN_FORKS", "1"},
                                                                 {"VITEST_MAX_THREADS", "4"},
                                                                 {"VITEST_MIN_THREADS", "1"}};
  EXPECT_EQ(env, want);
}

TEST(SingleWorker, FlagsGoBeforeTheDoubleDash) {
  EXPECT_EQ(single_worker_args({"run", "--", "--no-file-parallelism"}, VitestVersion{4, 1, 0}),
            (Args{"run", "--no-file-parallelism", "--", "--no-file-parallelism"}));
}

TEST(SingleWorker, NothingDuplicatedWhenTheUserChoseFileParallelism) {
  for (const char* given : {"--no-file-parallelism", "--file-parallelism", "--fileParallelism",
                            "--fileParallelism=false"}) {
    EXPECT_EQ(single_worker_args({"run", given}, VitestVersion{4, 0, 0}), (Args{"run", given}))
        << given;
  }
}

TEST(SingleWorker, OnePointZeroGetsPoolOptions) {
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{1, 0, 4}),
            (Args{"run", "--poolOptions.threads.singleThread", "--poolOptions.forks.singleFork"}));
  EXPECT_EQ(single_worker_args({"run", "--poolOptions.forks.singleFork"}, VitestVersion{1, 0, 0}),
            (Args{"run", "--poolOptions.forks.singleFork", "--poolOptions.threads.singleThread"}));
}

TEST(SingleWorker, UnknownVersionGetsNoFlags) {
  EXPECT_EQ(single_worker_args({"run"}, std::nullopt), (Args{"run"}));
  EXPECT_EQ(single_worker_args({"run"}, VitestVersion{0, 34, 6}), (Args{"run"}));
}

// What each vitest major really did with these arguments (measured with 1.6.1, 2.1.9, 3.2.7,
// 4.1.12 and 5.1.2 in a one-file project): P printed help or its version and ran nothing,
// R ran tests (or a benchmark, a watch, a listing, a doctor's measuring runs), E failed before
// running anything (1.x's removed `typecheck` command; vq queues it, the safe side). Columns:
// 1.x 2.x 3.x 4.x 5.x.
struct Measured {
  Args args;
  const char* outcome;
};

const Measured k_measured[] = {
    {{"--version"}, "PPPPP"},
    {{"-v"}, "PPPPP"},
    {{"run", "--version"}, "RRRRR"},
    {{"run", "-v"}, "RRRRR"},
    {{"--version", "run"}, "RRRRR"},
    {{"-v", "run"}, "RRRRR"},
    {{"run", "test", "--version"}, "RRRRR"},
    {{"test", "--version"}, "PPPPP"},
    {{"--version", "test"}, "PPPPP"},
    {{"run", "--", "--version"}, "RRRRR"},
    {{"--version", "--", "run"}, "PPPPP"},
    {{"--reporter=dot", "--version"}, "PPPPP"},
    {{"--run", "--version"}, "PPPPP"},
    {{"--help"}, "PPPPP"},
    {{"-h"}, "PPPPP"},
    {{"run", "--help"}, "PPPPP"},
    {{"run", "-h"}, "PPPPP"},
    {{"--help", "run"}, "PPPPP"},
    {{"run", "test", "--help"}, "PPPPP"},
    {{"run", "--", "--help"}, "RRRRR"},
    {{"list", "--version"}, "PRRRR"},
    {{"list", "--help"}, "PPPPP"},
    {{"bench", "--version"}, "RRRRR"},
    {{"watch", "--version"}, "RRRRR"},
    {{"dev", "--version"}, "RRRRR"},
    {{"related", "test/a.test.mjs", "--version"}, "RRRRR"},
    {{"run", "--version", "--help"}, "PPPPP"},
    {{"init", "a"}, "RPPPP"},
    {{"complete", "a"}, "RRRPP"},
    {{"doctor", "a"}, "RRRRR"},
    {{"typecheck", "--version"}, "EPPPP"},
};

const VitestVersion k_measured_versions[] = {
    {1, 6, 1}, {2, 1, 9}, {3, 2, 7}, {4, 1, 12}, {5, 1, 2}};

TEST(SingleWorker, TakesNoSlotExactlyWhereEachVersionOnlyPrints) {
  for (const Measured& row : k_measured) {
    for (std::size_t v = 0; v < 5; ++v) {
      const VitestVersion& version = k_measured_versions[v];
      EXPECT_EQ(is_informational(row.args, version), row.outcome[v] == 'P')
          << testing::PrintToString(row.args) << " on vitest " << version.major << "."
          << version.minor;
    }
  }
}

TEST(SingleWorker, UnknownVersionTakesASlotWheneverAnyVersionWouldRunTests) {
  for (const Measured& row : k_measured) {
    const bool every_version_prints = std::string_view(row.outcome) == "PPPPP";
    EXPECT_EQ(is_informational(row.args, std::nullopt), every_version_prints)
        << testing::PrintToString(row.args);
  }
}

// An argument vq cannot tell from a subcommand (an option's value) sends a launch that only
// prints through the queue: the safe side, as is a cluster of short flags (`-hv`).
TEST(SingleWorker, AmbiguousArgumentsErrOnTheSideOfTakingASlot) {
  EXPECT_FALSE(is_informational({"--reporter", "run", "--version"}, VitestVersion{3, 2, 7}));
  EXPECT_FALSE(is_informational({"-hv"}, VitestVersion{3, 2, 7}));
  EXPECT_FALSE(is_informational({"--version=false"}, VitestVersion{3, 2, 7}));
}

TEST(SingleWorker, InformationalCommandsAreRecognised) {
  EXPECT_TRUE(is_informational({"init", "browser"}, VitestVersion{3, 2, 7}));
  EXPECT_TRUE(is_informational({"complete", "--", "vitest"}, VitestVersion{4, 1, 12}));
  EXPECT_FALSE(is_informational({"init", "browser"}, std::nullopt));
  EXPECT_FALSE(is_informational({"run"}, VitestVersion{3, 2, 7}));
  EXPECT_FALSE(is_informational({}, VitestVersion{3, 2, 7}));
  EXPECT_FALSE(is_informational({"list"}, VitestVersion{3, 2, 7}));
  EXPECT_FALSE(is_informational({"run", "init"}, VitestVersion{3, 2, 7}));
}

TEST(SingleWorker, EnvironmentCoversEveryVersionWithMinAndMax) {
  auto env = single_worker_env();
  auto has = [&](const std::string& name) {
    for (const auto& [n, v] : env) {
      if (n == name && v == "1") return true;
    }
    return false;
  };
  for (const char* name : {"VITEST_MAX_WORKERS", "VITEST_MAX_FORKS", "VITEST_MIN_FORKS",
                           "VITEST_MAX_THREADS", "VITEST_MIN_THREADS"}) {
    EXPECT_TRUE(has(name)) << name;
  }
}

void write_package(const fs::path& dir, const std::string& name, const std::string& version) {
  fs::create_directories(dir);
  std::ofstream(dir / "package.json")
      << R"({"name": ")" << name << R"(", "version": ")" << version << R"("})";
  std::ofstream(dir / "vitest.mjs") << "#!/usr/bin/env node\n";
}

TEST(SingleWorker, DetectsVersionThroughAnNpmBinSymlink) {
  test::TempDir tmp;
  fs::path project = tmp.path();
  write_package(project / "node_modules/vitest", "vitest", "3.2.4");
  fs::create_directories(project / "node_modules/.bin");
  fs::create_symlink("../vitest/vitest.mjs", project / "node_modules/.bin/vitest");
  EXPECT_EQ(detect_vitest_version((project / "node_modules/.bin/vitest").string()),
            (VitestVersion{3, 2, 4}));
}

TEST(SingleWorker, DetectsVersionThroughAPnpmBinScript) {
  test::TempDir tmp;
  fs::path project = tmp.path();
  fs::path store = project / "node_modules/.pnpm/vitest@5.1.2/node_modules/vitest";
  write_package(store, "vitest", "5.1.2");
  fs::create_directory_symlink(store, project / "node_modules/vitest");
  fs::create_directories(project / "node_modules/.bin");
  std::ofstream(project / "node_modules/.bin/vitest") << "#!/bin/sh\nexec node vitest.mjs\n";
  EXPECT_EQ(detect_vitest_version((project / "node_modules/.bin/vitest").string()),
            (VitestVersion{5, 1, 2}));
}

TEST(SingleWorker, NoVersionForAForeignPackageOrAPlainProgram) {
  test::TempDir tmp;
  write_package(fs::path(tmp.path()) / "other", "not-vitest", "3.0.0");
  EXPECT_FALSE(detect_vitest_version(tmp / "other/vitest.mjs").has_value());
  EXPECT_FALSE(detect_vitest_version("/bin/true").has_value());
  EXPECT_FALSE(detect_vitest_version(tmp / "missing").has_value());
}

}  // namespace
}  // namespace vq

namespace vq {
namespace {

TEST(DetectVitestVersion, YarnPnpZipNameCarriesTheVersion) {
  auto version = detect_vitest_version(
      "/p/.yarn/cache/vitest-npm-3.2.4-9f1c2e3d4b-0a1b2c3d4e.zip/node_modules/vitest/vitest.mjs");
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, (VitestVersion{3, 2, 4}));
  EXPECT_FALSE(
      detect_vitest_version("/p/.yarn/cache/vitest-npm-x.zip/node_modules/vitest/vitest.mjs"));
}

}  // namespace
}  // namespace vq
