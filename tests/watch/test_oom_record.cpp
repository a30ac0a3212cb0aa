// A run killed by the OOM killer inside a memory cgroup (v1 here, v2 where that is what the
// machine has) is recorded as such: SIGKILL while the cgroup's oom_kill counter went up.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "watch_harness.h"

namespace vq::mp {
namespace {

using OomRecordTest = WatchTest;

// The v1 memory cgroup this test runs in, from /proc/self/cgroup; empty without one.
std::string own_memory_cgroup() {
  std::ifstream cgroups("/proc/self/cgroup");
  for (std::string line; std::getline(cgroups, line);) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    if (line.substr(first + 1, second - first - 1) == "memory") {
      std::string path = "/sys/fs/cgroup/memory" + line.substr(second + 1);
      return path.ends_with("/") ? path.substr(0, path.size() - 1) : path;
    }
  }
  return "";
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  file.flush();
  return static_cast<bool>(file);
}

TEST_F(OomRecordTest, RunKilledByTheOomKillerIsRecordedSo) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a memory cgroup";
  const std::string parent = own_memory_cgroup();
  if (parent.empty() || !path_exists(parent + "/memory.limit_in_bytes")) {
    GTEST_SKIP() << "no cgroup v1 memory controller at /sys/fs/cgroup/memory";
  }
  const std::string cgroup = parent + "/vq-oom-test-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(cgroup.c_str(), 0755), 0) << cgroup;
  ASSERT_TRUE(write_text(cgroup + "/memory.limit_in_bytes", std::to_string(64 << 20)));
  // With swap, the limit alone would page the run out rather than kill it.
  if (path_exists(cgroup + "/memory.memsw.limit_in_bytes")) {
    write_text(cgroup + "/memory.memsw.limit_in_bytes", std::to_string(64 << 20));
  }
  Launch launch = shim_launch("oom", watched_env("oom", {{"FAKE_EAT_MIB", "400"}}));
  launch.argv = {"sh", "-c", "echo $$ > " + cgroup + "/cgroup.procs && exec " + shim_path()};
  launch.program = "/bin/sh";
  Process run(launch);
  auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), killed_by(SIGKILL)) << run.stderr_text();
  auto found = wait_for_rows(1);
  EXPECT_TRUE(eventually([&] { return watchers_of(run.pid()).empty(); }, 5s));
  ::rmdir(cgroup.c_str());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(std::string(history::describe(found[0].end, found[0].end_code)),
            "killed by the OOM killer");
}

}  // namespace
}  // namespace vq::mp
