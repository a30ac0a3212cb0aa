// The preload's decision and the environment it hands the shim (preload/redirect).
#include "redirect.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "c_strings.h"
#include "temp_dir.h"

namespace vq::preload {
namespace {

using Strings = test::CStrings;

// A project with an executable node_modules/.bin/vitest and an executable stand-in shim.
class DecideTest : public ::testing::Test {
 protected:
  DecideTest() {
    std::filesystem::create_directories(m_dir / "p/node_modules/.bin");
    make_executable(bin());
    make_executable(shim());
  }
  static void make_executable(const std::string& path) {
    std::ofstream(path) << "#!/bin/sh\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }
  std::string bin() const { return m_dir / "p/node_modules/.bin/vitest"; }
  std::string shim() const { return m_dir / "shim"; }
  Verdict verdict(const Strings& env, const std::string& program = "") const {
    Strings argv{"vitest", "run"};
    std::string target = program.empty() ? bin() : program;
    MatchBuffers buffers;
    return decide(target.c_str(), argv.get(), env.get(), ::getpid(), shim().c_str(), buffers)
        .verdict;
  }

  test::TempDir m_dir;
};

TEST_F(DecideTest, AVitestLaunchIsRedirected) {
  EXPECT_EQ(verdict(Strings{"PATH=/bin"}), Verdict::redirect);
}

TEST_F(DecideTest, AnythingElsePasses) {
  EXPECT_EQ(verdict(Strings{"PATH=/bin"}, "/bin/true"), Verdict::pass);
}

TEST_F(DecideTest, TheShimsOwnExecChainPasses) {
  std::string routed = "VQ_ROUTED=" + std::to_string(::getpid());
  EXPECT_EQ(verdict(Strings{routed}), Verdict::routed);
}

TEST_F(DecideTest, AnotherProcessesRoutedMarkerDoesNotCount) {
  // A process started inside a holder's tree inherits VQ_ROUTED naming the holder: its own
  // launch must still go through the shim (which lets nested runs pass).
  std::string routed = "VQ_ROUTED=" + std::to_string(::getpid() + 1);
  EXPECT_EQ(verdict(Strings{routed}), Verdict::redirect);
}

TEST_F(DecideTest, DisabledPasses) {
  EXPECT_EQ(verdict(Strings{"VQ_DISABLE=yes"}), Verdict::disabled);
  EXPECT_EQ(verdict(Strings{"VQ_DISABLE=0"}), Verdict::redirect);
}

TEST_F(DecideTest, MissingTargetKeepsTheOriginalFailure) {
  EXPECT_EQ(verdict(Strings{}, m_dir / "q/node_modules/.bin/vitest"), Verdict::missing);
}

TEST_F(DecideTest, MissingShimPasses) {
  std::filesystem::remove(shim());
  EXPECT_EQ(verdict(Strings{}), Verdict::no_shim);
}

TEST(Redirect, EnvValueFindsExactNamesOnly) {
  Strings env{"VQ_SHIMX=a", "VQ_SHIM=b", "OTHER=c"};
  EXPECT_STREQ(env_value(env.get(), "VQ_SHIM"), "b");
  EXPECT_EQ(env_value(env.get(), "VQ"), nullptr);
  EXPECT_EQ(env_value(nullptr, "VQ_SHIM"), nullptr);
}

TEST(Redirect, NamesPidParsesOnlyPlainDecimals) {
  EXPECT_TRUE(names_pid("1234", 1234));
  EXPECT_FALSE(names_pid("1234", 123));
  EXPECT_FALSE(names_pid("12a", 12));
  EXPECT_FALSE(names_pid("", 0));
  EXPECT_FALSE(names_pid("99999999999999999999", 1));
}

TEST(Redirect, TrueMatchesTheConfigurationsBooleans) {
  for (const char* yes : {"1", "true", "YES", "On"}) EXPECT_TRUE(is_true(yes)) << yes;
  for (const char* no : {"0", "false", "no", "off", "", "2"}) EXPECT_FALSE(is_true(no)) << no;
  EXPECT_FALSE(is_true(nullptr));
}

TEST(Redirect, FormatsIndexAndTarget) {
  char out[64];
  ASSERT_TRUE(format_redirect(12, "/usr/bin/node", out, sizeof out));
  EXPECT_STREQ(out, "VQ_REDIRECT=12:/usr/bin/node");
  EXPECT_FALSE(format_redirect(1, "/usr/bin/node", out, 10));
}

TEST(Redirect, EnvironmentReplacesAnyOldRedirectAndEndsWithNull) {
  Strings env{"A=1", "VQ_REDIRECT=1:/old", "B=2"};
  char extra[] = "VQ_REDIRECT=1:/new";
  char* out[8];
  ASSERT_TRUE(environment_with(env.get(), extra, out, 8));
  EXPECT_STREQ(out[0], "A=1");
  EXPECT_STREQ(out[1], "B=2");
  EXPECT_STREQ(out[2], "VQ_REDIRECT=1:/new");
  EXPECT_EQ(out[3], nullptr);
}

TEST(Redirect, EnvironmentThatDoesNotFitIsRefused) {
  Strings env{"A=1", "B=2", "C=3"};
  char extra[] = "X=1";
  char* out[5];
  EXPECT_FALSE(environment_with(env.get(), extra, out, 4));
  EXPECT_TRUE(environment_with(env.get(), extra, out, 5));
}

TEST(Redirect, ShimIsBesideTheLibrary) {
  char out[128];
  ASSERT_TRUE(shim_beside("/usr/local/lib/vq/libvq-preload.so", out, sizeof out));
  EXPECT_STREQ(out, "/usr/local/lib/vq/shims/vitest");
  EXPECT_FALSE(shim_beside("libvq-preload.so", out, sizeof out));
}

TEST(Redirect, ShimIsFoundFromTheLibraryNamedInLdPreload) {
  char out[128];
  ASSERT_TRUE(shim_from_preload_list("/a/libx.so:/opt/vq/lib/vq/libvq-preload.so", out, 128));
  EXPECT_STREQ(out, "/opt/vq/lib/vq/shims/vitest");
  ASSERT_TRUE(shim_from_preload_list("/a/libx.so /p/libvq-preload.so", out, sizeof out));
  EXPECT_STREQ(out, "/p/shims/vitest");
  EXPECT_FALSE(shim_from_preload_list("libvq-preload.so", out, sizeof out));
  EXPECT_FALSE(shim_from_preload_list("/a/not-libvq-preload.so.1", out, sizeof out));
  EXPECT_FALSE(shim_from_preload_list("", out, sizeof out));
  EXPECT_FALSE(shim_from_preload_list(nullptr, out, sizeof out));
}

}  // namespace
}  // namespace vq::preload
