// A launch that fits the kernel's limit on arguments and environment without vq must still run
// through the shim when vq's own flags and variables no longer fit (E2BIG): as launched, with a
// warning, rather than failing with exit 126.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

// Arguments of `total` bytes, each below the kernel's limit on one string (MAX_ARG_STRLEN).
std::vector<std::string> padding_args(std::size_t total) {
  constexpr std::size_t k_chunk = 100'000;
  std::vector<std::string> args;
  for (std::size_t left = total; left > 0;) {
    std::size_t size = left < k_chunk ? left : k_chunk;
    args.emplace_back(size, 'x');
    left -= size;
  }
  return args;
}

// Whether execve accepts `launch` as a launch of `program` (the kernel counts the program's
// name too): a child execs /bin/true under a name of the same length and exits at once.
bool kernel_accepts(const Launch& launch, const std::string& program, const std::string& dir) {
  std::string stand_in = dir + "/";
  stand_in.append(program.size() > stand_in.size() ? program.size() - stand_in.size() : 1, 't');
  if (!path_exists(stand_in) && ::symlink("/bin/true", stand_in.c_str()) != 0) return false;
  std::vector<char*> argv;
  for (const std::string& arg : launch.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> entries;
  for (const auto& [name, value] : launch.env) entries.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (const std::string& entry : entries) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execve(stand_in.c_str(), argv.data(), envp.data());
    ::_exit(errno == E2BIG ? 100 : 101);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

using ArgumentLimitTest = ShimTest;

TEST_F(ArgumentLimitTest, ALaunchThatFitsOnlyWithoutVqsAdditionsRunsAsLaunchedWithAWarning) {
  const Env env{{"FAKE_ECHO_ENV", "VITEST_MAX_WORKERS,VQ_SHIM_DEPTH"}};
  // The largest launch of the fake the kernel takes, found by bisection on exactly the argv
  // and environment the shim will be given (the shim passes the fake the same argv[0]).
  std::size_t fits = 0, too_big = 16u << 20;
  while (too_big - fits > 1) {
    const std::size_t middle = fits + (too_big - fits) / 2;
    const Launch probe = shim_launch("run", env, padding_args(middle));
    (kernel_accepts(probe, fake_vitest_path(), tmp()) ? fits : too_big) = middle;
  }
  ASSERT_GT(fits, 100'000u) << "no launch of any size was accepted";
  // 96 bytes below the edge: room for the shim's VQ_ROUTED=<pid> and VQ_SHIM_DEPTH=1 (under
  // 60 bytes with their pointers), none for the single-worker variables, the shim chain and
  // the nested-run marker (over 200 bytes).
  Process run(shim_launch("run", env, padding_args(fits - 96)));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();
  const auto start = find_event(records(), RecordEvent::Kind::start, "run");
  ASSERT_TRUE(start) << "vitest never ran; stderr: " << run.stderr_text();
  EXPECT_EQ(start->pid, run.pid()) << "the shim forked instead of exec'ing";
  // As launched, but for the loop guard that bounds a real vitest leading back to the shim.
  EXPECT_EQ(run.stdout_text(), "env VITEST_MAX_WORKERS unset\nenv VQ_SHIM_DEPTH=1\n");
  EXPECT_EQ(run.stderr_text().rfind("vq: warning: ", 0), 0u) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("Argument list too long"), std::string::npos)
      << run.stderr_text();
}

}  // namespace
}  // namespace vq::mp
