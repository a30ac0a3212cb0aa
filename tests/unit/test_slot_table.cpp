#include "slot_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "display_text.h"

namespace vq {
namespace {

std::unique_ptr<Table> fresh_table(int limit = 4) {
  auto table = std::make_unique<Table>();
  initialize_table(*table, limit, 1000);
  return table;
}

void fill_waiter(WaiterRecord& record, int pid, std::uint64_t ticket) {
  record.state = RecordState::used;
  record.pid = pid;
  record.start_time = 77;
  record.ticket = ticket;
  record.since_ms = 5;
  record.level = 1;
  record.age_bound_ms = 60'000;
  set_text(record.agent, "agent-1");
  seal(record);
}

TEST(SlotTable, InitialisedHeaderIsValid) {
  auto table = fresh_table(3);
  EXPECT_EQ(check_header(table->header), HeaderCheck::valid);
  EXPECT_EQ(table->header.limit, 3u);
  EXPECT_EQ(table->header.next_ticket, 1u);
}

TEST(SlotTable, ZeroedFileIsBlank) {
  auto table = std::make_unique<Table>();
  std::memset(static_cast<void*>(table.get()), 0, sizeof(Table));
  EXPECT_EQ(check_header(table->header), HeaderCheck::blank);
}

TEST(SlotTable, HeaderDefectsAreRecognised) {
  auto table = fresh_table();
  table->header.magic ^= 1;
  EXPECT_EQ(check_header(table->header), HeaderCheck::corrupt);

  table = fresh_table();
  table->header.version = k_table_version + 1;
  EXPECT_EQ(check_header(table->header), HeaderCheck::newer_version);

  table = fresh_table();
  table->header.version = 0;
  EXPECT_EQ(check_header(table->header), HeaderCheck::older_version);

  for (std::uint32_t limit : {0u, static_cast<std::uint32_t>(k_max_slots + 1), 0xffffffffu}) {
    table = fresh_table();
    table->header.limit = limit;
    EXPECT_EQ(check_header(table->header), HeaderCheck::corrupt) << limit;
  }

  table = fresh_table();
  table->header.table_size = 12;
  EXPECT_EQ(check_header(table->header), HeaderCheck::corrupt);

  table = fresh_table();
  table->header.paused = 7;
  EXPECT_EQ(check_header(table->header), HeaderCheck::corrupt);
}

TEST(SlotTable, SealedRecordsAreValidAndTornOnesAreNot) {
  auto table = fresh_table();
  table->header.next_ticket = 10;
  WaiterRecord& waiter = table->waiters[0];
  fill_waiter(waiter, 123, 4);
  EXPECT_TRUE(is_valid(waiter, table->header.next_ticket));

  waiter.pid = 124;  // a write that did not finish: checksum no longer matches
  EXPECT_FALSE(is_valid(waiter, table->header.next_ticket));

  fill_waiter(waiter, 123, 10);  // a ticket never handed out
  EXPECT_FALSE(is_valid(waiter, table->header.next_ticket));

  SlotRecord& slot = table->slots[0];
  slot.state = RecordState::used;
  slot.pid = 55;
  set_text(slot.agent, "a");
  set_text(slot.cwd, "/tmp");
  set_text(slot.command, "vitest run");
  seal(slot);
  EXPECT_TRUE(is_valid(slot));
  slot.command[3] = 'X';
  EXPECT_FALSE(is_valid(slot));
}

TEST(SlotTable, RepairClearsExactlyTheTornRecords) {
  auto table = fresh_table();
  table->header.next_ticket = 10;
  fill_waiter(table->waiters[0], 100, 1);
  fill_waiter(table->waiters[1], 101, 2);
  fill_waiter(table->waiters[2], 102, 3);
  table->waiters[1].since_ms = 999;                                   // torn
  std::memset(table->slots[5].cwd, 'x', sizeof table->slots[5].cwd);  // garbage, unterminated
  table->slots[5].state = RecordState::used;

  EXPECT_EQ(repair_records(*table), 2);
  EXPECT_EQ(table->waiters[0].pid, 100);
  EXPECT_EQ(table->waiters[1].pid, 0);
  EXPECT_EQ(table->waiters[2].pid, 102);
  EXPECT_EQ(table->slots[5].state, RecordState::empty);
  EXPECT_EQ(repair_records(*table), 0);
}

TEST(SlotTable, RandomBytesNeverPassAsValidRecords) {
  std::mt19937_64 random(42);
  auto table = std::make_unique<Table>();
  auto* bytes = reinterpret_cast<unsigned char*>(table.get());
  for (std::size_t i = 0; i < sizeof(Table); ++i) bytes[i] = static_cast<unsigned char>(random());
  EXPECT_EQ(check_header(table->header), HeaderCheck::corrupt);
  table->header.next_ticket = ~0ull;
  repair_records(*table);
  for (const auto& slot : table->slots) {
    EXPECT_TRUE(slot.state == RecordState::empty || is_valid(slot));
  }
  for (const auto& waiter : table->waiters) {
    EXPECT_TRUE(waiter.state == RecordState::empty || is_valid(waiter, ~0ull));
  }
}

TEST(SlotTable, RepairKeepsAValidTableRebuildsDamagedOnesAndLeavesANewerOneAlone) {
  auto table = fresh_table(3);
  table->header.next_ticket = 10;
  fill_waiter(table->waiters[0], 100, 1);
  TableRepair kept = repair_table(*table, 4, 2000);
  EXPECT_EQ(kept.found, HeaderCheck::valid);
  EXPECT_EQ(table->header.limit, 3u);
  EXPECT_EQ(table->waiters[0].pid, 100);

  table->header.limit = 1000;
  TableRepair rebuilt = repair_table(*table, 4, 2000);
  EXPECT_EQ(rebuilt.found, HeaderCheck::corrupt);
  EXPECT_FALSE(rebuilt.refused);
  EXPECT_EQ(check_header(table->header), HeaderCheck::valid);
  EXPECT_EQ(table->header.limit, 4u);
  EXPECT_EQ(table->waiters[0].pid, 0);

  table->header.version = 0;
  EXPECT_EQ(repair_table(*table, 2, 3000).found, HeaderCheck::older_version);
  EXPECT_EQ(table->header.limit, 2u);

  table->header.version = k_table_version + 1;
  table->header.limit = 999;
  TableRepair refused = repair_table(*table, 4, 4000);
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(table->header.limit, 999u) << "a newer layout is not ours to rewrite";
}

TEST(SlotTable, AdmissionLimitStaysWithinTheSlots) {
  TableHeader header{};
  for (auto [stored, expected] :
       {std::pair{0u, 1}, {1u, 1}, {4u, 4}, {64u, 64}, {65u, 64}, {0xffffffffu, 64}}) {
    header.limit = stored;
    EXPECT_EQ(admission_limit(header), expected) << stored;
  }
}

TEST(SlotTable, TextFieldsAreTruncatedAndTerminated) {
  char field[8];
  set_text(field, "abcdefghijk");
  EXPECT_EQ(get_text(field), "abcdefg");
  set_text(field, "ab");
  EXPECT_EQ(get_text(field), "ab");
  EXPECT_EQ(field[7], '\0');
}

TEST(SlotTable, TextThatDoesNotFitIsCutAtACharacterBoundary) {
  // A non-ASCII test name longer than the command field: the last character must not be split.
  SlotRecord record{};
  std::string command = "vitest run -t \"";
  while (command.size() < sizeof record.command) command += "\xc3\xa9";  // é, two bytes
  for (std::string text : {command, "x" + command}) {
    set_text(record.command, text);
    std::string_view stored = get_text(record.command);
    EXPECT_EQ(text.compare(0, stored.size(), stored), 0);
    EXPECT_GE(stored.size(), sizeof record.command - 2);
    EXPECT_EQ(json_text(stored), stored) << "stored text is still valid UTF-8";
  }
}

}  // namespace
}  // namespace vq
