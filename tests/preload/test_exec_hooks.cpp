// Each hooked exec function, called by its own C probe, with and without libvq-preload.so: an
// ordinary call behaves exactly as without the library (arguments, environment, errors), and a
// vitest launch through that very function goes through the queue in the same process (or, for
// posix_spawn, the pid it returned), forced to one worker.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "preload_fixture.h"

namespace vq::preload_test {
namespace {

using mp::exited;
using mp::path_exists;
using mp::read_records;
using mp::RecordEvent;

class ExecHookTest : public HookTest, public ::testing::WithParamInterface<std::string> {
 protected:
  const std::string& function() const { return GetParam(); }

  // What the probe prints after the program's own output: nothing for an exec, which replaced
  // the probe, or the spawn report.
  std::string probe_report() const { return is_spawn(function()) ? spawned_line(function()) : ""; }
  // PROBE_ENVP / PROBE_DROP as the program must see them: the custom envp of an e or spawn
  // variant, else the caller's environment.
  std::string environment_lines() const {
    if (takes_environment(function())) {
      return env_line("PROBE_ENVP", function()) + env_unset("PROBE_DROP");
    }
    return env_unset("PROBE_ENVP") + env_line("PROBE_DROP", "arrived-from-environ");
  }
  // Runs `file` with and without the library: an exec variant returns -1 with errno `error`, a
  // spawn variant returns `error`. errno after a failed posix_spawn is whatever glibc leaves
  // (its CLONE_VM child's failed exec writes the parent's errno): the same with the library.
  // Returns the run with the library.
  ProbeResult expect_failure(const std::string& file, const std::vector<std::string>& argv,
                             const Env& env, const std::string& error) const {
    const auto plain = run_probe(function(), Preload::off, file, argv, env);
    const auto hooked = run_probe(function(), Preload::on, file, argv, env);
    if (is_spawn(function())) {
      EXPECT_TRUE(plain.out.starts_with(function() + " returned " + error + ", errno "))
          << plain.out;
    } else {
      EXPECT_EQ(plain.out, function() + " returned -1, errno " + error + "\n");
    }
    EXPECT_EQ(hooked.out, plain.out);
    EXPECT_EQ(hooked.status, plain.status);
    return hooked;
  }
  // The pid the launched program ran under, as the probe knows it.
  pid_t launched_pid(const ProbeResult& result) const {
    return is_spawn(function()) ? spawned_pid(result.out) : result.pid;
  }
};

const std::string k_echo_queue_env = "VQ_HOLDER,VQ_ROUTED,VQ_REDIRECT,VITEST_MAX_WORKERS";

TEST_P(ExecHookTest, RunsTheProgramWithArgumentsAndEnvironmentIntact) {
  link_fake("bin", "tool");
  Env env{{"FAKE_ECHO_ARGV", "1"}, {"FAKE_ECHO_ENV", "PROBE_ENVP,PROBE_DROP"}};
  const std::string file = file_for(function(), tmp() + "/bin", "tool", env);
  const std::vector<std::string> argv = {"tool-argv0", "run", "", "two words", "--", "ünï€ode"};

  const auto plain = run_probe(function(), Preload::off, file, argv, env);
  const auto hooked = run_probe(function(), Preload::on, file, argv, env);

  const std::string expected = argv_lines(argv) + environment_lines() + probe_report();
  EXPECT_EQ(plain.status, exited(0)) << plain.err;
  EXPECT_EQ(without_pids(plain.out), expected);
  EXPECT_EQ(hooked.status, plain.status) << hooked.err;
  EXPECT_EQ(without_pids(hooked.out), without_pids(plain.out));
  EXPECT_EQ(hooked.err, plain.err);
}

TEST_P(ExecHookTest, MissingProgramFailsWithEnoentAsWithoutThePreload) {
  Env env;
  const std::string file = file_for(function(), tmp() + "/nowhere", "tool", env);
  EXPECT_EQ(expect_failure(file, {"tool"}, env, "ENOENT").err, "");
}

TEST_P(ExecHookTest, NonExecutableFileFailsWithEaccesAsWithoutThePreload) {
  make_file("noexec", "tool", "#!/bin/sh\necho ran\n", 0644);
  Env env;
  const std::string file = file_for(function(), tmp() + "/noexec", "tool", env);
  EXPECT_EQ(expect_failure(file, {"tool"}, env, "EACCES").err, "");
}

// These names match a vitest launch, so the hook's own checks run before the real call.
TEST_P(ExecHookTest, VitestLaunchOfAMissingOrNonExecutableFileFailsAsWithoutThePreload) {
  const std::string bin = tmp() + "/P/node_modules/.bin";
  Env env{{"VQ_DEBUG", "1"}};
  const std::string file = file_for(function(), bin, "vitest", env);
  make_file("P/node_modules/.bin", "other", "", 0755);
  // VQ_DEBUG: a missing target is nobody's launch (shells try every PATH entry), so nothing is
  // said; one that exists but will not run is reported as left alone. A p variant's own PATH
  // search finds no runnable vitest, so it has nothing to report either way.
  const std::string unchanged =
      searches_path(function())
          ? ""
          : "vq-preload: " + function() + " " + file +
                ": vitest launch (exec of node_modules/.bin/vitest), the kernel would not run the "
                "target: unchanged\n";
  EXPECT_EQ(expect_failure(file, {"vitest", "run"}, env, "ENOENT").err, "");
  make_file("P/node_modules/.bin", "vitest", "#!/bin/sh\necho ran\n", 0644);
  EXPECT_EQ(expect_failure(file, {"vitest", "run"}, env, "EACCES").err, unchanged);
  EXPECT_FALSE(path_exists(queue_dir()));
}

// The shim is found beside the library (build/shims/vitest): no VQ_SHIM here.
TEST_P(ExecHookTest, BinVitestLaunchIsQueuedUnderTheSamePidWithOneWorkerAndArgvIntact) {
  const std::string project = make_project("P");
  Env env{{"FAKE_ECHO_ARGV", "1"}, {"FAKE_ECHO_ENV", k_echo_queue_env + ",PROBE_ENVP"}};
  const std::string file = file_for(function(), project + "/node_modules/.bin", "vitest", env);
  const std::vector<std::string> argv = {"vitest", "run", "--reporter=dot", "two words"};

  const auto result = run_probe(function(), Preload::on, file, argv, env);

  ASSERT_EQ(result.status, exited(0)) << result.out << result.err;
  const pid_t pid = launched_pid(result);
  const auto events = read_records(record_path());
  ASSERT_EQ(events.size(), 2u) << result.out;
  EXPECT_EQ(events[0].pid, pid) << "the fake vitest ran under another pid than launched";
  const std::string holder = "env VQ_HOLDER=" + std::to_string(pid) + ":";
  EXPECT_EQ(std::regex_replace(result.out, std::regex(holder + "[0-9]+"), holder + "<start>"),
            argv_lines(argv) + env_line("VQ_HOLDER", std::to_string(pid) + ":<start>") +
                env_line("VQ_ROUTED", std::to_string(pid)) + env_unset("VQ_REDIRECT") +
                env_line("VITEST_MAX_WORKERS", "1") +
                (takes_environment(function()) ? env_line("PROBE_ENVP", function())
                                               : env_unset("PROBE_ENVP")) +
                std::regex_replace(probe_report(), std::regex("<pid>"), std::to_string(pid)));
  EXPECT_EQ(result.err, "") << "vq prints nothing when no wait happens";
  EXPECT_NE(queue_log().find("event=admitted"), std::string::npos) << queue_log();
}

// The control of the test above: the same launch without the library is not queued.
TEST_P(ExecHookTest, WithoutThePreloadTheSameBinVitestLaunchIsNotQueued) {
  const std::string project = make_project("P");
  Env env{{"FAKE_ECHO_ARGV", "1"}, {"FAKE_ECHO_ENV", k_echo_queue_env}};
  const std::string file = file_for(function(), project + "/node_modules/.bin", "vitest", env);
  const std::vector<std::string> argv = {"vitest", "run", "--reporter=dot", "two words"};

  const auto result = run_probe(function(), Preload::off, file, argv, env);

  EXPECT_EQ(result.status, exited(0)) << result.err;
  EXPECT_EQ(without_pids(result.out), argv_lines(argv) + env_unset("VQ_HOLDER") +
                                          env_unset("VQ_ROUTED") + env_unset("VQ_REDIRECT") +
                                          env_unset("VITEST_MAX_WORKERS") + probe_report());
  EXPECT_EQ(queue_log(), "");
}

// node running …/node_modules/vitest/vitest.mjs: the fake stands in for node (same name).
// vitest 5.1.2 in package.json: the shim adds --no-file-parallelism and the opt-out of vitest
// 5's isolate hint (which the forced single worker would set off), and nothing else changes.
TEST_P(ExecHookTest, NodeRunningVitestMjsIsQueuedWithArgvUnchangedButForOneWorkerFlags) {
  const std::string project = make_project("P", "5.1.2");
  const std::string script = project + "/node_modules/vitest/vitest.mjs";
  link_fake("nodebin", "node");
  Env env{{"FAKE_ECHO_ARGV", "1"}, {"FAKE_ECHO_ENV", k_echo_queue_env}};
  const std::string file = file_for(function(), tmp() + "/nodebin", "node", env);
  const std::vector<std::string> argv = {"node", "--enable-source-maps", script, "run", "--", "x"};

  const auto hooked = run_probe(function(), Preload::on, file, argv, env);
  const auto plain = run_probe(function(), Preload::off, file, argv, env);

  ASSERT_EQ(hooked.status, exited(0)) << hooked.out << hooked.err;
  const pid_t pid = launched_pid(hooked);
  EXPECT_EQ(std::regex_replace(hooked.out, std::regex("VQ_HOLDER=[0-9]+:[0-9]+"), "VQ_HOLDER=<h>"),
            argv_lines({"node", "--enable-source-maps", script, "run", "--no-file-parallelism",
                        "--experimental.diagnostics.isolate=false", "--", "x"}) +
                env_line("VQ_HOLDER", "<h>") + env_line("VQ_ROUTED", std::to_string(pid)) +
                env_unset("VQ_REDIRECT") + env_line("VITEST_MAX_WORKERS", "1") +
                std::regex_replace(probe_report(), std::regex("<pid>"), std::to_string(pid)));
  EXPECT_NE(hooked.out.find("VQ_HOLDER=" + std::to_string(pid) + ":"), std::string::npos);
  EXPECT_NE(queue_log().find("event=admitted"), std::string::npos) << queue_log();

  // Control: without the library, argv is the caller's and nothing is queued.
  EXPECT_EQ(plain.status, exited(0)) << plain.err;
  EXPECT_EQ(without_pids(plain.out), argv_lines(argv) + env_unset("VQ_HOLDER") +
                                         env_unset("VQ_ROUTED") + env_unset("VQ_REDIRECT") +
                                         env_unset("VITEST_MAX_WORKERS") + probe_report());
  EXPECT_EQ(read_records(record_path()).size(), 4u);
}

// The environment copy the shim gets is not bounded by the hooks' stack: a launch with more
// entries than fit there is queued like any other, and VQ_DEBUG's line says what happened.
TEST_P(ExecHookTest, LaunchWithMoreThan4096EnvironmentEntriesIsQueued) {
  const std::string project = make_project("P");
  Env env{{"FAKE_ECHO_ENV", "VQ_ROUTED,VITEST_MAX_WORKERS,VQ_FILLER_4999"}, {"VQ_DEBUG", "1"}};
  for (int i = 0; i < 5000; ++i) env["VQ_FILLER_" + std::to_string(i)] = "x";
  const std::string file = file_for(function(), project + "/node_modules/.bin", "vitest", env);

  const auto result = run_probe(function(), Preload::on, file, {"vitest", "run"}, env);

  ASSERT_EQ(result.status, exited(0)) << result.err;
  const pid_t pid = launched_pid(result);
  EXPECT_EQ(without_pids(result.out),
            without_pids(env_line("VQ_ROUTED", std::to_string(pid)) +
                         env_line("VITEST_MAX_WORKERS", "1") + env_line("VQ_FILLER_4999", "x") +
                         probe_report()));
  EXPECT_NE(result.err.find("via the shim"), std::string::npos) << result.err;
  EXPECT_NE(queue_log().find("event=admitted"), std::string::npos) << queue_log();
}

TEST_P(ExecHookTest, DebugReportsTheMatchOnStderrOnlyWhenAsked) {
  const std::string project = make_project("P");
  const std::string target = project + "/node_modules/.bin/vitest";
  Env env;
  const std::string file = file_for(function(), project + "/node_modules/.bin", "vitest", env);

  const auto quiet = run_probe(function(), Preload::on, file, {"vitest"}, env);
  env["VQ_DEBUG"] = "1";
  const auto debug = run_probe(function(), Preload::on, file, {"vitest"}, env);

  EXPECT_EQ(quiet.status, exited(0));
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(debug.status, exited(0));
  EXPECT_TRUE(std::regex_search(debug.err, std::regex("(^|\n)vq-preload: [a-z_]+ " + target +
                                                      ": vitest launch \\(.*\\), via the shim")))
      << debug.err;
}

TEST_P(ExecHookTest, ExecsThatAreNotVitestLaunchesPassThroughSilently) {
  make_project("P");
  const std::string other_script = tmp() + "/P/node_modules/other/cli.mjs";
  make_file("P/node_modules/other", "cli.mjs", "", 0644);
  link_fake("nodebin", "node");
  link_fake("notbin", "vitest");  // named vitest, but not in node_modules/.bin
  Env env{{"FAKE_ECHO_ENV", k_echo_queue_env}, {"VQ_DEBUG", "1"}};
  const std::string node = file_for(function(), tmp() + "/nodebin", "node", env);
  Env vitest_env{{"FAKE_ECHO_ENV", k_echo_queue_env}, {"VQ_DEBUG", "1"}};
  const std::string vitest = file_for(function(), tmp() + "/notbin", "vitest", vitest_env);

  const std::string not_queued = env_unset("VQ_HOLDER") + env_unset("VQ_ROUTED") +
                                 env_unset("VQ_REDIRECT") + env_unset("VITEST_MAX_WORKERS") +
                                 probe_report();
  for (const auto& result :
       {run_probe(function(), Preload::on, node, {"node", other_script, "run"}, env),
        run_probe(function(), Preload::on, node, {"node", "-e", "x", other_script}, env),
        run_probe(function(), Preload::on, vitest, {"vitest", "run"}, vitest_env)}) {
    EXPECT_EQ(result.status, exited(0));
    EXPECT_EQ(without_pids(result.out), not_queued);
    EXPECT_EQ(result.err, "");
  }
  EXPECT_FALSE(path_exists(queue_dir()));
}

INSTANTIATE_TEST_SUITE_P(EachHook, ExecHookTest, ::testing::ValuesIn(k_hooked_functions),
                         [](const auto& info) { return info.param; });

class SpawnHookTest : public ExecHookTest {};

// posix_spawn's file actions apply to the launch the library redirected, as they would have.
TEST_P(SpawnHookTest, FileActionsReachTheRedirectedLaunch) {
  const std::string project = make_project("P");
  Env env{{"FAKE_ECHO_ENV", "VQ_HOLDER"}, {"PROBE_STDOUT", tmp() + "/child.out"}};
  const std::string file = file_for(function(), project + "/node_modules/.bin", "vitest", env);

  const auto result = run_probe(function(), Preload::on, file, {"vitest", "run"}, env);

  EXPECT_EQ(without_pids(result.out), spawned_line(function()));
  EXPECT_TRUE(std::regex_match(mp::read_file(tmp() + "/child.out"),
                               std::regex("env VQ_HOLDER=[0-9]+:[0-9]+\n")))
      << mp::read_file(tmp() + "/child.out");
}

INSTANTIATE_TEST_SUITE_P(EachSpawnHook, SpawnHookTest,
                         ::testing::Values("posix_spawn", "posix_spawnp"),
                         [](const auto& info) { return info.param; });

class ShimChoiceTest : public HookTest {};

TEST_F(ShimChoiceTest, VqShimOverridesTheShimBesideTheLibrary) {
  const std::string project = make_project("P");
  const std::string other_shim = tmp() + "/other/vitest";
  std::filesystem::create_directories(tmp() + "/other");
  std::filesystem::copy_file(VQ_SHIM_PATH, other_shim);
  const std::string target = project + "/node_modules/.bin/vitest";
  for (const auto& [shim, expected] :
       {std::pair<std::string, std::string>{"", VQ_SHIM_PATH}, {other_shim, other_shim}}) {
    const auto result = run_probe("execve", Preload::on, target, {"vitest"},
                                  {{"VQ_DEBUG", "1"}, {"VQ_SHIM", shim}});
    EXPECT_EQ(result.status, exited(0));
    EXPECT_NE(result.err.find("via the shim " + expected + "\n"), std::string::npos) << result.err;
  }
}

// When LD_PRELOAD does not name the library by path (here a bare name the loader finds through
// LD_LIBRARY_PATH; in practice /etc/ld.so.preload), the shim beside the file the loader mapped
// is used, not the build's install prefix: a packaged or moved installation still finds its shim.
TEST_F(ShimChoiceTest, ShimBesideTheMappedLibraryWhenLdPreloadNamesNoPath) {
  const std::string project = make_project("P");
  const std::string moved = tmp() + "/moved";
  std::filesystem::create_directories(moved + "/shims");
  std::filesystem::copy_file(preload_library(), moved + "/libvq-preload.so");
  std::filesystem::copy_file(VQ_SHIM_PATH, moved + "/shims/vitest");
  const auto result = run_probe(
      "execve", Preload::on, project + "/node_modules/.bin/vitest", {"vitest"},
      {{"VQ_DEBUG", "1"}, {"LD_PRELOAD", "libvq-preload.so"}, {"LD_LIBRARY_PATH", moved}});
  EXPECT_EQ(result.status, exited(0));
  EXPECT_NE(result.err.find("via the shim " + moved + "/shims/vitest\n"), std::string::npos)
      << result.err;
}

// Fail open: without a runnable shim the launch still runs, unqueued.
TEST_F(ShimChoiceTest, MissingShimRunsTheLaunchUnqueued) {
  const std::string project = make_project("P");
  const auto result = run_probe("execvp", Preload::on, "vitest", {"vitest"},
                                {{"VQ_SHIM", tmp() + "/no/shim"},
                                 {"PATH", project + "/node_modules/.bin:/usr/bin:/bin"},
                                 {"FAKE_ECHO_ENV", "VQ_HOLDER"}});
  EXPECT_EQ(result.status, exited(0));
  EXPECT_EQ(result.out, env_unset("VQ_HOLDER"));
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace vq::preload_test
