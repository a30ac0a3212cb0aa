#include "oom_counter.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "run_watch.h"

namespace vq::watch {
namespace {

TEST(OomCounter, OomKillLineOfV1AndV2Files) {
  EXPECT_EQ(parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3u);
  EXPECT_EQ(parse_oom_kill("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n"), 1u);
  EXPECT_FALSE(parse_oom_kill("oom_kill_disable 0\n"));
}

class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    m_root = std::filesystem::temp_directory_path() / ("vq-cgroup-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_root / "memory/app/run");
    std::filesystem::create_directories(m_root / "unified/user/run");
    std::ofstream(m_root / "memory/app/run/memory.oom_control") << "oom_kill 0\n";
    std::ofstream(m_root / "unified/user/run/memory.events") << "oom_kill 0\n";
  }
  void TearDown() override { std::filesystem::remove_all(m_root); }
  std::filesystem::path m_root;
};

TEST_F(CgroupTree, V1MemoryControllerWinsOnAHybridMachine) {
  std::string cgroup = "5:devices:/\n4:memory:/app/run\n0::/user/run\n";
  EXPECT_EQ(oom_counter_file(cgroup, m_root.string()),
            (m_root / "memory/app/run/memory.oom_control").string());
}

TEST_F(CgroupTree, V2OnlyMachineUsesMemoryEvents) {
  EXPECT_EQ(oom_counter_file("0::/user/run\n", m_root.string()),
            (m_root / "unified/user/run/memory.events").string());
  EXPECT_EQ(oom_counter_file("0::/elsewhere\n", m_root.string()), "");
}

TEST(OomRule, SigkillWhileTheCounterWentUp) {
  const WaitStatus sigkill = SIGKILL;  // WIFSIGNALED, WTERMSIG 9
  EXPECT_TRUE(is_oom_kill(sigkill, 0, 1));
  EXPECT_FALSE(is_oom_kill(sigkill, 1, 1)) << "a plain kill -9";
  EXPECT_FALSE(is_oom_kill(SIGTERM, 0, 1)) << "another signal is not the OOM killer";
  EXPECT_FALSE(is_oom_kill(0, 0, 1)) << "exited 0";
  EXPECT_FALSE(is_oom_kill(sigkill, std::nullopt, 1)) << "no counter: never a guess";
  EXPECT_FALSE(is_oom_kill(std::nullopt, 0, 1));
}

}  // namespace
}  // namespace vq::watch
