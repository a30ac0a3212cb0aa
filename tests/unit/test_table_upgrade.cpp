// A table of the previous layout (version 1) is upgraded in place by the repair every vq
// process runs: header, slot records and waiter records are kept; torn ones are cleared.
#include "table_upgrade.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "turn_order.h"

namespace vq {
namespace {

// The previous layout as an older vq wrote it, inside a buffer of today's size (the file grows
// with zeros when today's vq maps it).
std::unique_ptr<Table> previous_layout(int waiters) {
  auto table = std::make_unique<Table>();
  std::memset(static_cast<void*>(table.get()), 0, sizeof(Table));
  layout_v1::Table old{};
  std::memset(static_cast<void*>(&old), 0, sizeof old);
  initialize_table(*table, 3, 1000);
  old.header = table->header;
  old.header.version = layout_v1::k_version;
  old.header.table_size = sizeof(layout_v1::Table);
  old.header.next_ticket = 40;
  old.header.paused = 1;
  layout_v1::SlotRecord& slot = old.slots[2];
  slot.state = RecordState::used;
  slot.pid = 4242;
  slot.start_time = 9;
  set_text(slot.agent, "holder");
  layout_v1::seal(slot);
  for (int i = 0; i < waiters; ++i) {
    layout_v1::WaiterRecord& w = old.waiters[i];
    w.state = RecordState::used;
    w.pid = 5000 + i;
    w.start_time = 70 + static_cast<std::uint64_t>(i);
    w.ticket = 30 - static_cast<std::uint64_t>(i);
    w.since_ms = 2000 + static_cast<std::uint64_t>(i);
    w.agent_explicit = i % 2 == 0 ? 1 : 0;
    set_text(w.agent, "agent-" + std::to_string(i));
    layout_v1::seal(w);
  }
  std::memcpy(static_cast<void*>(table.get()), &old, sizeof old);
  return table;
}

TEST(TableUpgrade, PreviousLayoutKeepsHeaderHoldersAndWaiters) {
  auto table = previous_layout(5);
  TableRepair repair = repair_table(*table, 4, 5000);
  EXPECT_EQ(repair.found, HeaderCheck::older_version);
  EXPECT_TRUE(repair.upgraded);
  EXPECT_EQ(repair.cleared_records, 0);
  EXPECT_EQ(check_header(table->header), HeaderCheck::valid);
  EXPECT_EQ(table->header.limit, 3u);  // not the seed limit: the queue's own
  EXPECT_EQ(table->header.paused, 1u);
  EXPECT_EQ(table->header.next_ticket, 40u);
  EXPECT_TRUE(is_valid(table->slots[2]));
  EXPECT_EQ(table->slots[2].pid, 4242);
  for (int i = 0; i < 5; ++i) {
    const WaiterRecord& w = table->waiters[i];
    ASSERT_TRUE(is_valid(w, table->header.next_ticket)) << i;
    EXPECT_EQ(w.pid, 5000 + i);
    EXPECT_EQ(w.start_time, 70u + static_cast<std::uint64_t>(i));
    EXPECT_EQ(w.ticket, 30u - static_cast<std::uint64_t>(i));
    EXPECT_EQ(w.since_ms, 2000u + static_cast<std::uint64_t>(i));
    EXPECT_EQ(w.agent_explicit, i % 2 == 0 ? 1u : 0u);
    EXPECT_EQ(get_text(w.agent), "agent-" + std::to_string(i));
    EXPECT_EQ(w.level, static_cast<std::uint32_t>(Priority::normal));
    EXPECT_EQ(w.age_bound_ms, static_cast<std::uint32_t>(k_default_age_bound_s * 1000));
  }
  EXPECT_TRUE(is_empty(table->waiters[5]));
}

TEST(TableUpgrade, TornPreviousLayoutWaiterIsDroppedAndTheRestKept) {
  auto table = previous_layout(3);
  // Tear record 1 in the old layout: its bytes start at the old stride.
  auto* bytes = reinterpret_cast<unsigned char*>(table.get()) + offsetof(layout_v1::Table, waiters);
  bytes[sizeof(layout_v1::WaiterRecord) * 1 + 12] ^= 0xff;
  TableRepair repair = repair_table(*table, 4, 5000);
  EXPECT_TRUE(repair.upgraded);
  EXPECT_TRUE(is_valid(table->waiters[0], table->header.next_ticket));
  EXPECT_TRUE(is_empty(table->waiters[1]));
  EXPECT_TRUE(is_valid(table->waiters[2], table->header.next_ticket));
}

// The upgrade writes the new size, then the version: a death between the two leaves records in
// today's layout under a version-1 header of today's size.
TEST(TableUpgrade, ADeathBetweenTheTwoHeaderStoresKeepsTheUpgradedRecords) {
  auto table = previous_layout(2);
  ASSERT_TRUE(repair_table(*table, 4, 5000).upgraded);
  table->header.version = layout_v1::k_version;
  TableRepair again = repair_table(*table, 4, 5000);
  EXPECT_TRUE(again.upgraded);
  EXPECT_EQ(check_header(table->header), HeaderCheck::valid);
  EXPECT_EQ(table->header.limit, 3u);  // not the seed limit
  EXPECT_EQ(table->header.paused, 1u);
  EXPECT_EQ(table->slots[2].pid, 4242);
  EXPECT_TRUE(is_valid(table->waiters[1], table->header.next_ticket));
  EXPECT_EQ(table->waiters[1].pid, 5001);
}

TEST(TableUpgrade, UnsoundPreviousHeaderIsRebuiltWithTheSeedLimit) {
  auto table = previous_layout(2);
  table->header.table_size = 12;
  TableRepair repair = repair_table(*table, 4, 5000);
  EXPECT_FALSE(repair.upgraded);
  EXPECT_EQ(check_header(table->header), HeaderCheck::valid);
  EXPECT_EQ(table->header.limit, 4u);
  EXPECT_TRUE(is_empty(table->waiters[0]));
}

}  // namespace
}  // namespace vq
