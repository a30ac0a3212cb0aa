// VQ_WORKERS=auto's budget: one worker per CPU shared by the holders, each worker beyond the
// first needing the run's estimate again in memory room; never fewer than one.
#include "worker_budget.h"

#include <gtest/gtest.h>

#include <string>

namespace vq {
namespace {

constexpr std::int64_t k_gib = std::int64_t{1} << 30;

WorkerScene scene(int cpus, int others, std::int64_t room, std::uint64_t estimate) {
  return WorkerScene{cpus, others, room, estimate, true};
}

TEST(WorkerBudget, ALoneRunWithRoomGetsEveryCpu) {
  EXPECT_EQ(auto_workers(scene(8, 0, 64 * k_gib, k_gib)), 8);
}

TEST(WorkerBudget, OtherHoldersWorkersComeOffTheCpus) {
  EXPECT_EQ(auto_workers(scene(8, 5, 64 * k_gib, k_gib)), 3);
  EXPECT_EQ(auto_workers(scene(8, 8, 64 * k_gib, k_gib)), 1) << "a crowded machine: one";
  EXPECT_EQ(auto_workers(scene(8, 12, 64 * k_gib, k_gib)), 1) << "never fewer than one";
}

TEST(WorkerBudget, EachExtraWorkerNeedsTheEstimateAgainInRoom) {
  // 3.5 GiB of room, 1 GiB per worker: the first worker takes 1, two more fit in the rest.
  EXPECT_EQ(auto_workers(scene(8, 0, 7 * k_gib / 2, k_gib)), 3);
  EXPECT_EQ(auto_workers(scene(8, 0, k_gib / 2, k_gib)), 1) << "no room beyond the run itself";
  EXPECT_EQ(auto_workers(scene(8, 0, -k_gib, k_gib)), 1) << "negative room: still one";
}

TEST(WorkerBudget, UnknownMemoryLeavesTheCpusToDecide) {
  WorkerScene unknown{4, 1, 0, k_gib, false};
  EXPECT_EQ(auto_workers(unknown), 3);
  EXPECT_EQ(auto_workers(scene(4, 0, 0, 0)), 4) << "no estimate: CPUs alone";
}

TEST(WorkerBudget, ReadsTheGrantedCountFromAnEnvironment) {
  using namespace std::string_literals;
  EXPECT_EQ(workers_in_environment("PATH=/bin\0VITEST_MAX_WORKERS=6\0HOME=/h\0"s), 6);
  EXPECT_FALSE(workers_in_environment("PATH=/bin\0HOME=/h\0"s)) << "absent";
  EXPECT_FALSE(workers_in_environment("VITEST_MAX_WORKERS=50%\0"s)) << "not vq's number";
  EXPECT_FALSE(workers_in_environment("XVITEST_MAX_WORKERS=9\0"s));
  EXPECT_FALSE(workers_in_environment(""));
  EXPECT_EQ(holder_workers(0), 1) << "no such process: counted as one";
}

}  // namespace
}  // namespace vq
