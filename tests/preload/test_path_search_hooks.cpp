// The p variants (execvp execvpe execlp posix_spawnp) search PATH. For an ordinary program the
// library calls the real function, which must search exactly as before; for a vitest launch the
// library searches itself to learn what would run, and must find what glibc would find.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "preload_fixture.h"

namespace vq::preload_test {
namespace {

using mp::exited;

class PathSearchHookTest : public HookTest, public ::testing::WithParamInterface<std::string> {
 protected:
  const std::string& function() const { return GetParam(); }
  std::string probe_report() const { return is_spawn(function()) ? spawned_line(function()) : ""; }

  // TMP/<dir>/tool: a script that says which directory it was found in.
  void make_tool(const std::string& dir) const {
    make_file(dir, "tool", "#!/bin/sh\necho ran " + dir + "\n", 0755);
  }

  // Runs `file` with and without the library; both must print what the regular expression
  // `expected` matches, and agree exactly.
  void expect_same_run(const std::string& file, const Env& env, const std::string& expected,
                       const std::string& cwd = "") const {
    const auto plain = run_probe(function(), Preload::off, file, {file}, env, cwd);
    const auto hooked = run_probe(function(), Preload::on, file, {file}, env, cwd);
    EXPECT_TRUE(std::regex_match(without_pids(plain.out), std::regex(expected)))
        << plain.out << plain.err;
    EXPECT_EQ(without_pids(hooked.out), without_pids(plain.out)) << hooked.err;
    EXPECT_EQ(hooked.status, plain.status);
    EXPECT_EQ(hooked.err, plain.err);
  }

  // A vitest launch by bare name: with the library it must be redirected through the queue
  // (the debug line names the file that will run), without it not.
  void expect_redirected(const std::string& file, const Env& env, const std::string& target,
                         const std::string& cwd = "") const {
    Env debug = env;
    debug["VQ_DEBUG"] = "1";
    debug["FAKE_ECHO_ENV"] = "VQ_HOLDER";
    const auto hooked = run_probe(function(), Preload::on, file, {"vitest"}, debug, cwd);
    EXPECT_EQ(hooked.status, exited(0)) << hooked.err;
    EXPECT_NE(hooked.out.find("env VQ_HOLDER="), std::string::npos) << hooked.out << hooked.err;
    EXPECT_TRUE(hooked.err.starts_with("vq-preload: ")) << hooked.err;
    EXPECT_NE(hooked.err.find(" " + target + ": vitest launch"), std::string::npos) << hooked.err;
    const auto plain = run_probe(function(), Preload::off, file, {"vitest"}, debug, cwd);
    EXPECT_EQ(plain.status, exited(0)) << plain.err;
    EXPECT_EQ(without_pids(plain.out), env_unset("VQ_HOLDER") + probe_report());
  }
};

TEST_P(PathSearchHookTest, SkipsANonExecutableFileOrADirectoryEarlierOnPath) {
  make_file("A", "tool", "#!/bin/sh\necho ran A\n", 0644);
  std::filesystem::create_directories(tmp() + "/D/tool");
  make_tool("B");
  const Env env{{"PATH", tmp() + "/A:" + tmp() + "/D:" + tmp() + "/B"}};
  expect_same_run("tool", env, "ran B\n" + probe_report());
}

TEST_P(PathSearchHookTest, AnEmptyPathEntryMeansTheWorkingDirectory) {
  make_tool("C");
  make_tool("B");
  std::filesystem::create_directories(tmp() + "/A");
  const std::string a = tmp() + "/A";
  const std::string b = tmp() + "/B";
  for (const std::string& path : {a + "::" + b, ":" + b, a + ":"}) {
    SCOPED_TRACE("PATH=" + path);
    expect_same_run("tool", {{"PATH", path}}, "ran C\n" + probe_report(), tmp() + "/C");
  }
}

TEST_P(PathSearchHookTest, ANameWithASlashIsNotSearched) {
  make_file("C/sub", "tool", "#!/bin/sh\necho ran C/sub\n", 0755);
  make_file("B/sub", "tool", "#!/bin/sh\necho ran B/sub\n", 0755);
  expect_same_run("sub/tool", {{"PATH", tmp() + "/B"}}, "ran C/sub\n" + probe_report(),
                  tmp() + "/C");
}

TEST_P(PathSearchHookTest, OnlyNonExecutableMatchesFailWithEaccesNoMatchWithEnoent) {
  make_file("A", "tool", "", 0644);
  std::filesystem::create_directories(tmp() + "/E");
  // errno after a failed posix_spawnp is whatever glibc's child left: any, but the same.
  auto report = [&](const std::string& error) {
    return is_spawn(function()) ? function() + " returned " + error + ", errno [A-Z0-9]+\n"
                                : function() + " returned -1, errno " + error + "\n";
  };
  expect_same_run("tool", {{"PATH", tmp() + "/A:" + tmp() + "/E"}}, report("EACCES"));
  expect_same_run("tool", {{"PATH", tmp() + "/E"}}, report("ENOENT"));
}

TEST_P(PathSearchHookTest, UnsetPathSearchesTheDefaultPath) {
  for (Preload preload : {Preload::off, Preload::on}) {
    const auto result =
        run_probe(function(), preload, "sh", {"sh", "-c", "echo default path"}, {{"PATH", ""}});
    EXPECT_EQ(without_pids(result.out), "default path\n" + probe_report());
  }
}

TEST_P(PathSearchHookTest, VitestLaunchFindsWhatGlibcFindsPastNonExecutableEntries) {
  make_file("P1/node_modules/.bin", "vitest", "#!/bin/sh\necho ran P1\n", 0644);
  std::filesystem::create_directories(tmp() + "/P2/node_modules/.bin/vitest");
  const std::string project = make_project("P3");
  const Env env{{"PATH", tmp() + "/P1/node_modules/.bin:" + tmp() + "/P2/node_modules/.bin:" +
                             project + "/node_modules/.bin:/usr/bin:/bin"}};
  expect_redirected("vitest", env, project + "/node_modules/.bin/vitest");
}

// pnpm exec puts the relative ./node_modules/.bin on PATH.
TEST_P(PathSearchHookTest, VitestLaunchThroughARelativePathEntryIsRedirected) {
  const std::string project = make_project("P");
  expect_redirected("vitest", {{"PATH", "./node_modules/.bin:/usr/bin:/bin"}},
                    "./node_modules/.bin/vitest", project);
}

TEST_P(PathSearchHookTest, VitestLaunchByAPathWithASlashIsNotSearched) {
  const std::string project = make_project("P");
  make_project("Q");
  expect_redirected("node_modules/.bin/vitest",
                    {{"PATH", tmp() + "/Q/node_modules/.bin:/usr/bin:/bin"}},
                    "node_modules/.bin/vitest", project);
}

// node found on PATH, running vitest.mjs given relative to the working directory.
TEST_P(PathSearchHookTest, NodeFoundOnPathRunningARelativeVitestMjsIsRedirected) {
  const std::string project = make_project("P");
  link_fake("nodebin", "node");
  const Env env{{"PATH", tmp() + "/nodebin:/usr/bin:/bin"},
                {"FAKE_ECHO_ENV", "VQ_HOLDER"},
                {"VQ_DEBUG", "1"}};
  const auto hooked = run_probe(function(), Preload::on, "node",
                                {"node", "node_modules/vitest/vitest.mjs"}, env, project);
  EXPECT_EQ(hooked.status, exited(0)) << hooked.err;
  EXPECT_NE(hooked.out.find("env VQ_HOLDER="), std::string::npos) << hooked.out;
  EXPECT_TRUE(hooked.err.starts_with("vq-preload: ")) << hooked.err;
  EXPECT_NE(hooked.err.find(" " + tmp() + "/nodebin/node: vitest launch"), std::string::npos)
      << hooked.err;
}

// glibc's execvpe and posix_spawnp search the caller's PATH, not the PATH of the envp they pass
// on; the library's own search for a vitest launch must do the same.
class EnvironmentPathHookTest : public PathSearchHookTest {};

TEST_P(EnvironmentPathHookTest, SearchesTheCallersPathNotThePathOfTheEnvpPassedOn) {
  const std::string project = make_project("P");
  const std::string bin = project + "/node_modules/.bin";
  expect_redirected("vitest", {{"PATH", bin + ":/usr/bin:/bin"}, {"PROBE_ENVP_PATH", "/nowhere"}},
                    bin + "/vitest");
  const std::string not_found = is_spawn(function())
                                    ? function() + " returned ENOENT, errno [A-Z0-9]+\n"
                                    : function() + " returned -1, errno ENOENT\n";
  expect_same_run("vitest", {{"PROBE_ENVP_PATH", bin}}, not_found);
}

INSTANTIATE_TEST_SUITE_P(EnvpVariants, EnvironmentPathHookTest,
                         ::testing::Values("execvpe", "posix_spawnp"),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(EachPathSearchingHook, PathSearchHookTest,
                         ::testing::ValuesIn(k_path_searching_functions),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vq::preload_test
