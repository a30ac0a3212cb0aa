// A damaged slot table (garbage, truncated) is not trusted and not fatal: the next launch
// repairs it, runs, and the queue limits again afterwards (invariants 1 and 6).
#include <signal.h>
#include <sys/stat.h>

#include <random>
#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

struct Damage {
  const char* name;
  std::size_t size;  // bytes of garbage written over the table
};

class TableDamageTest : public ShimTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(TableDamageTest, IsRepairedByTheNextLaunchWhichRunsAndStillLimits) {
  // Create the queue, then overwrite its table.
  Process first(shim_launch("first", {{"VQ_MAX_PROCESSES", "1"}}));
  ASSERT_TRUE(first.wait());
  const std::string table = queue_dir() + "/slots.table";
  ASSERT_TRUE(path_exists(table)) << "the table is not where this test expects it";
  std::mt19937 random(42);
  std::string garbage(GetParam().size, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  write_file(table, garbage, 0600);

  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  EXPECT_EQ(holder.stderr_text(), "");
  Process late(shim_launch("late", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto status = late.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << "stderr: " << late.stderr_text();
  EXPECT_FALSE(has_started("late"));
}

INSTANTIATE_TEST_SUITE_P(Kinds, TableDamageTest,
                         ::testing::Values(Damage{"Empty", 0}, Damage{"Truncated", 10},
                                           Damage{"Garbage", 64 * 1024},
                                           Damage{"OversizedGarbage", 4 * 1024 * 1024}),
                         [](const auto& info) { return std::string(info.param.name); });

// The slot is the kernel's lock, not the table's record: wiping the table under a live holder
// must not admit anyone past it, nor lose the waiter already queued.
using LiveTableDamageTest = ShimTest;

TEST_F(LiveTableDamageTest, TableWipedUnderALiveHolderStillKeepsTheLimitAndTheWaiter) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process waiter = start_waiter("waiter", {{"VQ_MAX_PROCESSES", "1"}});
  write_file(queue_dir() + "/slots.table", std::string(4096, '\x5a'), 0600);

  Process late(shim_launch("late", {{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto late_status = late.wait();
  ASSERT_TRUE(late_status);
  EXPECT_EQ(describe_status(*late_status), exited(75)) << "stderr: " << late.stderr_text();
  EXPECT_FALSE(has_started("waiter")) << "admitted past a live holder after the wipe";

  holder.send(SIGTERM);
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << waiter.stderr_text();
  EXPECT_TRUE(has_started("waiter"));
}

}  // namespace
}  // namespace vq::mp
