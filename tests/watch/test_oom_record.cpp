// A run killed by the OOM killer inside a memory cgroup (v1 here, v2 where that is what the
// machine has) is recorded as such: SIGKILL while the cgroup's oom_kill counter went up.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "watch_harness.h"

namespace vq::mp {
namespace {

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

// A memory cgroup of 64 MiB (no swap beyond it) under the test's own; removed by its destructor.
class SmallMemoryCgroup {
 public:
  SmallMemoryCgroup() {
    const std::string parent = own_memory_cgroup();
    if (parent.empty() || !path_exists(parent + "/memory.limit_in_bytes")) return;
    m_path = parent + "/vq-oom-test-" + std::to_string(::getpid());
    if (::mkdir(m_path.c_str(), 0755) != 0) return;
    if (!write_text(m_path + "/memory.limit_in_bytes", std::to_string(64 << 20))) return;
    // With swap, the limit alone would page the run out rather than kill it.
    if (path_exists(m_path + "/memory.memsw.limit_in_bytes")) {
      write_text(m_path + "/memory.memsw.limit_in_bytes", std::to_string(64 << 20));
    }
    m_ready = true;
  }
  ~SmallMemoryCgroup() {
    if (!m_path.empty()) ::rmdir(m_path.c_str());
  }
  bool ready() const { return m_ready; }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
  bool m_ready = false;
};

class OomRecordTest : public WatchTest {
 protected:
  // Runs a vitest that eats 400 MiB through the shim inside `cgroup`; returns its history
  // row's end, as described.
  std::string end_of_a_run_that_eats_too_much(const SmallMemoryCgroup& cgroup, Env overrides = {}) {
    overrides["FAKE_EAT_MIB"] = "400";
    Launch launch = shim_launch("oom", watched_env("oom", overrides));
    launch.argv = {"sh", "-c",
                   "echo $$ > " + cgroup.path() + "/cgroup.procs && exec " + shim_path()};
    launch.program = "/bin/sh";
    Process run(launch);
    auto status = run.wait();
    EXPECT_TRUE(status);
    if (status) {
      EXPECT_EQ(describe_status(*status), killed_by(SIGKILL)) << run.stderr_text();
    }
    auto found = wait_for_rows(1);
    EXPECT_TRUE(eventually([&] { return watchers_of(run.pid()).empty(); }, 5s));
    if (found.size() != 1) return "rows: " + std::to_string(found.size());
    return std::string(history::describe(found[0].end, found[0].end_code));
  }
};

TEST_F(OomRecordTest, RunKilledByTheOomKillerIsRecordedSo) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a memory cgroup";
  SmallMemoryCgroup cgroup;
  if (!cgroup.ready()) GTEST_SKIP() << "no cgroup v1 memory controller at /sys/fs/cgroup/memory";
  EXPECT_EQ(end_of_a_run_that_eats_too_much(cgroup), "killed by the OOM killer");
}

// The kill comes before the watcher has even started (here it is held back a second): the
// shim's baseline, read before vitest started, still tells it apart from a plain SIGKILL.
TEST_F(OomRecordTest, RunKilledBeforeItsWatcherIsUpIsStillRecordedAsOom) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a memory cgroup";
  if (!kernel_has_pidfd_exit_info()) GTEST_SKIP() << "needs PIDFD_INFO_EXIT (Linux 6.15+)";
  SmallMemoryCgroup cgroup;
  if (!cgroup.ready()) GTEST_SKIP() << "no cgroup v1 memory controller at /sys/fs/cgroup/memory";
  const std::string late_watcher = tmp() + "/late-vq-watch";
  // vq-watch sits at <the shim's directory>/../vq-watch, in the build tree as installed.
  const std::string watcher = shim_path().substr(0, shim_path().rfind('/')) + "/../vq-watch";
  ASSERT_TRUE(write_text(late_watcher, "#!/bin/sh\nsleep 1\nexec " + watcher + " \"$@\"\n"));
  ASSERT_EQ(::chmod(late_watcher.c_str(), 0755), 0);
  EXPECT_EQ(end_of_a_run_that_eats_too_much(cgroup, {{"VQ_WATCHER", late_watcher}}),
            "killed by the OOM killer");
}

}  // namespace
}  // namespace vq::mp
