// The room check end to end on fixture trees (/proc and /sys/fs/cgroup), with holders' current
// memory given by a fake HolderMemory: the probes, the growing-runs term and the pressure veto
// together, as a waiter's pass uses them.
#include "room_check.h"

#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "config.h"
#include "memory_admission.h"
#include "temp_dir.h"

namespace vq {
namespace {

constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;
constexpr std::uint64_t k_gib = std::uint64_t{1} << 30;

class FakeMemory : public HolderMemory {
 public:
  std::map<pid_t, std::uint64_t> current;
  int reads = 0;
  std::optional<std::uint64_t> current_bytes(pid_t root) override {
    ++reads;
    auto found = current.find(root);
    return found == current.end() ? std::nullopt : std::optional(found->second);
  }
};

class RoomCheckTest : public ::testing::Test {
 protected:
  void write(const std::string& relative, const std::string& text) {
    std::filesystem::path path = std::filesystem::path(m_dir.path()) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  void meminfo(std::uint64_t total, std::uint64_t available) {
    write("proc/meminfo", "MemTotal: " + std::to_string(total / 1024) +
                              " kB\nMemAvailable: " + std::to_string(available / 1024) + " kB\n");
  }
  void v1_limit(const std::string& path, std::uint64_t limit, std::uint64_t usage) {
    write("cgroup/memory" + path + "/memory.limit_in_bytes", std::to_string(limit));
    write("cgroup/memory" + path + "/memory.usage_in_bytes", std::to_string(usage));
    write("cgroup/memory" + path + "/memory.stat", "total_inactive_file 0\n");
  }
  void pressure(double avg10, std::uint64_t total) {
    write("proc/pressure/memory", "some avg10=" + std::to_string(avg10) +
                                      " avg60=0 avg300=0 total=" + std::to_string(total) + "\n");
  }
  MemorySettings settings() const {
    MemorySettings settings;
    settings.roots = ProbeRoots{m_dir / "proc", m_dir / "cgroup"};
    settings.reserve = MemoryReserve{0, 0};
    settings.unknown_estimate = k_gib;
    return settings;
  }
  static std::vector<Holder> holders(std::vector<std::uint64_t> estimates) {
    std::vector<Holder> list;
    for (std::size_t i = 0; i < estimates.size(); ++i) {
      Holder holder;
      holder.pid = static_cast<pid_t>(100 + i);
      holder.estimate_bytes = estimates[i];
      list.push_back(holder);
    }
    return list;
  }

  test::TempDir m_dir;
  FakeMemory m_memory;
};

TEST_F(RoomCheckTest, ContainerLimitCountsNotTheHostsMemory) {
  meminfo(64 * k_gib, 60 * k_gib);
  write("proc/self/cgroup", "4:memory:/ci/job\n0::/\n");
  v1_limit("/ci", 4 * k_gib, 2 * k_gib);  // nested: the parent's limit is the tightest
  v1_limit("/ci/job", 16 * k_gib, 2 * k_gib);
  m_memory.current[100] = 2 * k_gib;
  RoomCheck check(settings(), m_memory);
  RoomVerdict verdict = check.judge(holders({2 * k_gib}), 3 * k_gib);
  EXPECT_EQ(verdict.available, 2 * k_gib);
  EXPECT_FALSE(verdict.admit);
  EXPECT_TRUE(check.judge(holders({2 * k_gib}), k_gib + 512 * k_mib).admit);
}

TEST_F(RoomCheckTest, NoCgroupLimitGoesByMemAvailable) {
  meminfo(16 * k_gib, 3 * k_gib);
  write("proc/self/cgroup", "0::/user.slice\n");
  write("cgroup/cgroup.controllers", "memory\n");
  write("cgroup/user.slice/memory.max", "max\n");
  m_memory.current[100] = k_gib;
  RoomCheck check(settings(), m_memory);
  EXPECT_TRUE(check.judge(holders({k_gib}), 2 * k_gib).admit);
  EXPECT_FALSE(check.judge(holders({k_gib}), 4 * k_gib).admit);
}

TEST_F(RoomCheckTest, YoungHoldersReserveTheirGrowthAndUnknownOnesTheColdEstimate) {
  meminfo(16 * k_gib, 4 * k_gib);
  m_memory.current[100] = 100 * k_mib;  // estimate 1 GiB: 924 MiB still to come
  // pid 101 has no record estimate (0) and unreadable memory: 1 GiB reserved.
  RoomCheck check(settings(), m_memory);
  // 2 GiB + 50 MiB does not fit beside 2 GiB reserved whole, but does beside what is still to
  // come (1948 MiB): only then are the holders' figures read.
  RoomVerdict verdict = check.judge(holders({k_gib, 0}), 2 * k_gib + 50 * k_mib);
  EXPECT_EQ(verdict.growing, 924 * k_mib + k_gib);
  EXPECT_TRUE(verdict.admit);
  verdict = check.judge(holders({k_gib, 0}), 2 * k_gib + 512 * k_mib);
  EXPECT_FALSE(verdict.admit);
  EXPECT_EQ(verdict.growing, 924 * k_mib + k_gib) << "the figures shown are the read ones";
  // A small run fits without reading anything (the whole estimates reserved).
  m_memory.reads = 0;
  EXPECT_TRUE(check.judge(holders({k_gib, 0}), k_gib).admit);
  EXPECT_EQ(m_memory.reads, 0);
}

TEST_F(RoomCheckTest, HighPressureHoldsNewRunsWhateverTheRoom) {
  meminfo(16 * k_gib, 12 * k_gib);
  pressure(30.0, 5'000'000);
  m_memory.current[100] = k_gib;
  RoomCheck check(settings(), m_memory);
  RoomVerdict verdict = check.judge(holders({k_gib}), k_gib);
  EXPECT_FALSE(verdict.admit);
  EXPECT_EQ(verdict.block, RoomBlock::pressure);
  EXPECT_NEAR(check.pressure_percent(), 30.0, 0.01);
}

TEST_F(RoomCheckTest, WithoutPsiOrMeminfoTheCountAloneDecides) {
  // A kernel without PSI and a /proc without meminfo: nothing to judge by.
  RoomCheck check(settings(), m_memory);
  EXPECT_TRUE(check.judge(holders({k_gib}), 8 * k_gib).admit);
}

TEST_F(RoomCheckTest, NothingHoldingIsAdmittedWithoutReadingAnything) {
  meminfo(16 * k_gib, 10 * k_mib);
  pressure(90.0, 1);
  RoomCheck check(settings(), m_memory);
  EXPECT_TRUE(check.judge({}, 8 * k_gib).admit);
}

TEST_F(RoomCheckTest, AutoLimitFromCoresAndTheTighterMemoryBudget) {
  meminfo(64 * k_gib, 60 * k_gib);
  write("proc/self/cgroup", "4:memory:/box\n");
  v1_limit("/box", 2 * k_gib, 0);
  Config config;
  config.limit_auto = true;
  cpu_set_t cpus;
  ASSERT_EQ(::sched_getaffinity(0, sizeof cpus, &cpus), 0);
  // 2 GiB holds two runs at 1 GiB each, cores permitting.
  EXPECT_EQ(seed_limit(config, settings().roots), std::min(2, CPU_COUNT(&cpus)));
  config.limit_auto = false;
  EXPECT_EQ(seed_limit(config, settings().roots), 4);
}

}  // namespace
}  // namespace vq
