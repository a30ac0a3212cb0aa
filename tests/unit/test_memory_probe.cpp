#include "memory_probe.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace vq {
namespace {

constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;

// A fixture tree laid out like /proc and /sys/fs/cgroup.
class FixtureRoots {
 public:
  FixtureRoots() { m_roots = ProbeRoots{m_dir / "proc", m_dir / "cgroup"}; }
  const ProbeRoots& roots() const { return m_roots; }
  void write(const std::string& relative, const std::string& text) {
    std::filesystem::path path = std::filesystem::path(m_dir.path()) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // A v1 memory cgroup directory below cgroup/memory.
  void v1(const std::string& path, std::uint64_t limit, std::uint64_t usage,
          std::uint64_t inactive) {
    std::string dir = "cgroup/memory" + path;
    write(dir + "/memory.limit_in_bytes", std::to_string(limit) + "\n");
    write(dir + "/memory.usage_in_bytes", std::to_string(usage) + "\n");
    write(dir + "/memory.stat",
          "cache 5\ninactive_file 1\ntotal_inactive_file " + std::to_string(inactive) + "\n");
  }
  void v2(const std::string& mount, const std::string& path, const std::string& max,
          std::uint64_t current, std::uint64_t inactive) {
    std::string dir = "cgroup" + mount + path;
    write(dir + "/memory.max", max + "\n");
    write(dir + "/memory.current", std::to_string(current) + "\n");
    write(dir + "/memory.stat", "anon 7\ninactive_file " + std::to_string(inactive) + "\n");
    write(dir + "/cgroup.procs", "");
  }

 private:
  test::TempDir m_dir;
  ProbeRoots m_roots;
};

constexpr const char* k_no_limit_v1 = "9223372036854771712";

TEST(MemoryProbe, MemAvailableAndTotalFromMeminfo) {
  FixtureRoots fixture;
  fixture.write("proc/meminfo",
                "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:    2048000 kB\n");
  MemInfo info = read_meminfo(fixture.roots());
  EXPECT_EQ(info.total, std::uint64_t{24576000} * 1024);
  EXPECT_EQ(info.available, std::uint64_t{2048000} * 1024);
}

TEST(MemoryProbe, NoMeminfoKnowsNothing) {
  FixtureRoots fixture;
  EXPECT_FALSE(read_meminfo(fixture.roots()).available);
}

TEST(MemoryProbe, V1HeadroomIsLimitMinusUsageLessInactiveFile) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "5:devices:/\n4:memory:/box\n0::/\n");
  fixture.v1("", std::stoull(k_no_limit_v1), 9000 * k_mib, 0);
  fixture.v1("/box", 4096 * k_mib, 1500 * k_mib, 500 * k_mib);
  auto room = read_cgroup_room(fixture.roots());
  ASSERT_TRUE(room);
  EXPECT_EQ(room->limit, 4096 * k_mib);
  EXPECT_EQ(room->working_set, 1000 * k_mib);
  EXPECT_EQ(room->headroom(), 3096 * k_mib);
}

TEST(MemoryProbe, V1WithoutAnyLimitHasNoCgroupRoom) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "4:memory:/box\n0::/\n");
  fixture.v1("", std::stoull(k_no_limit_v1), 9000 * k_mib, 0);
  fixture.v1("/box", std::stoull(k_no_limit_v1), 1500 * k_mib, 0);
  EXPECT_FALSE(read_cgroup_room(fixture.roots()));
}

TEST(MemoryProbe, NestedLimitTheTightestAncestorCounts) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "4:memory:/outer/inner/leaf\n");
  fixture.v1("/outer", 2048 * k_mib, 1800 * k_mib, 0);  // 248 MiB left: the tightest
  fixture.v1("/outer/inner", 8192 * k_mib, 100 * k_mib, 0);
  fixture.v1("/outer/inner/leaf", std::stoull(k_no_limit_v1), 50 * k_mib, 0);
  auto room = read_cgroup_room(fixture.roots());
  ASSERT_TRUE(room);
  EXPECT_EQ(room->headroom(), 248 * k_mib);
  EXPECT_EQ(room->path, fixture.roots().cgroup + "/memory/outer");
}

TEST(MemoryProbe, V2UnifiedAtTheRoot) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "0::/user.slice/app\n");
  fixture.write("cgroup/cgroup.controllers", "cpu memory\n");
  fixture.v2("", "/user.slice", "max", 9000 * k_mib, 0);
  fixture.v2("", "/user.slice/app", std::to_string(2048 * k_mib), 1024 * k_mib, 24 * k_mib);
  auto room = read_cgroup_room(fixture.roots());
  ASSERT_TRUE(room);
  EXPECT_EQ(room->headroom(), 1048 * k_mib);
}

TEST(MemoryProbe, V2OnAHybridSystemIsUnderUnified) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "4:memory:/\n0::/ci\n");
  fixture.v1("", std::stoull(k_no_limit_v1), 9000 * k_mib, 0);
  fixture.v2("/unified", "/ci", std::to_string(512 * k_mib), 256 * k_mib, 0);
  auto room = read_cgroup_room(fixture.roots());
  ASSERT_TRUE(room);
  EXPECT_EQ(room->headroom(), 256 * k_mib);
}

TEST(MemoryProbe, UsageBelowInactiveFileCountsAsNothingUsed) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "4:memory:/box\n");
  fixture.v1("/box", 1024 * k_mib, 10 * k_mib, 20 * k_mib);
  auto room = read_cgroup_room(fixture.roots());
  ASSERT_TRUE(room);
  EXPECT_EQ(room->headroom(), 1024 * k_mib);
}

TEST(MemoryProbe, OwnMemoryCgroupIsTheV1Directory) {
  FixtureRoots fixture;
  fixture.write("proc/self/cgroup", "4:memory:/box\n0::/\n");
  fixture.v1("/box", 1024 * k_mib, 10 * k_mib, 0);
  EXPECT_EQ(own_memory_cgroup(fixture.roots()), fixture.roots().cgroup + "/memory/box");
}

TEST(MemoryProbe, PressureSomeLineParsed) {
  auto sample = parse_pressure(
      "some avg10=12.50 avg60=3.00 avg300=1.00 total=987654\n"
      "full avg10=1.00 avg60=0.00 avg300=0.00 total=5\n");
  ASSERT_TRUE(sample);
  EXPECT_DOUBLE_EQ(sample->avg10_percent, 12.5);
  EXPECT_EQ(sample->total_us, 987654u);
  EXPECT_FALSE(parse_pressure("full avg10=1.00 total=5\n"));
}

TEST(PressureGauge, FirstReadingGoesByAvg10ThenByDeltas) {
  PressureGauge gauge(10);
  auto t0 = std::chrono::steady_clock::now();
  gauge.update({25.0, 1'000'000}, t0);
  EXPECT_TRUE(gauge.high());
  // 1 s later 300 ms more stall: 30 %.
  gauge.update({25.0, 1'300'000}, t0 + std::chrono::seconds(1));
  EXPECT_NEAR(gauge.percent(), 30.0, 0.01);
  EXPECT_TRUE(gauge.high());
}

TEST(PressureGauge, HysteresisClearsOnlyBelowHalfTheThreshold) {
  PressureGauge gauge(10);
  auto t = std::chrono::steady_clock::now();
  gauge.update({0, 0}, t);
  EXPECT_FALSE(gauge.high());
  gauge.update({0, 150'000}, t += std::chrono::seconds(1));  // 15 %: high
  EXPECT_TRUE(gauge.high());
  gauge.update({0, 220'000}, t += std::chrono::seconds(1));  // 7 %: still high
  EXPECT_TRUE(gauge.high());
  gauge.update({0, 260'000}, t += std::chrono::seconds(1));  // 4 %: cleared
  EXPECT_FALSE(gauge.high());
  gauge.update({0, 330'000}, t += std::chrono::seconds(1));  // 7 %: stays clear
  EXPECT_FALSE(gauge.high());
}

TEST(PressureGauge, ReadingsTooCloseTogetherAreIgnored) {
  PressureGauge gauge(10);
  auto t = std::chrono::steady_clock::now();
  gauge.update({0, 0}, t);
  gauge.update({0, 90'000}, t + std::chrono::milliseconds(50));  // would be 180 %
  EXPECT_FALSE(gauge.high());
}

}  // namespace
}  // namespace vq
