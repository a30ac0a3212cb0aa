#include "table_upgrade.h"

#include <cstddef>
#include <cstring>
#include <memory>

#include "turn_order.h"

namespace vq {
namespace layout_v1 {

std::uint32_t record_checksum(const SlotRecord& record) {
  return checksum_without_field(record);
}
std::uint32_t record_checksum(const WaiterRecord& record) {
  return checksum_without_field(record);
}
void seal(SlotRecord& record) {
  record.checksum = record_checksum(record);
}
void seal(WaiterRecord& record) {
  record.checksum = record_checksum(record);
}

}  // namespace layout_v1

namespace {

bool is_sound_v1_header(const TableHeader& header) {
  return header.magic == k_table_magic && header.version == layout_v1::k_version &&
         header.table_size == sizeof(layout_v1::Table) && header.limit >= 1 &&
         header.limit <= static_cast<std::uint32_t>(k_max_slots) && header.paused <= 1 &&
         header.next_ticket != 0;
}

SlotRecord upgraded(const layout_v1::SlotRecord& old) {
  SlotRecord record{};
  if (old.state != RecordState::used || old.checksum != layout_v1::record_checksum(old)) {
    return record;  // empty, or torn: the slot's lock still says who holds it
  }
  record.state = old.state;
  record.pid = old.pid;
  record.start_time = old.start_time;
  record.admitted_ms = old.admitted_ms;
  record.agent_explicit = old.agent_explicit;
  std::memcpy(record.agent, old.agent, sizeof record.agent);
  std::memcpy(record.cwd, old.cwd, sizeof record.cwd);
  std::memcpy(record.command, old.command, sizeof record.command);
  seal(record);
  return record;
}

WaiterRecord upgraded(const layout_v1::WaiterRecord& old) {
  WaiterRecord record{};
  if (old.state != RecordState::used || old.checksum != layout_v1::record_checksum(old)) {
    return record;  // empty, or torn: nothing to keep
  }
  record.state = old.state;
  record.pid = old.pid;
  record.start_time = old.start_time;
  record.ticket = old.ticket;
  record.since_ms = old.since_ms;
  record.agent_explicit = old.agent_explicit;
  record.level = static_cast<std::uint32_t>(Priority::normal);
  record.age_bound_ms = static_cast<std::uint32_t>(k_default_age_bound_s * 1000);
  std::memcpy(record.agent, old.agent, sizeof record.agent);
  seal(record);
  return record;
}

}  // namespace

// Both record arrays move (the slots grew, so the waiters start further on): copy the old
// records out before anything is written.
bool upgrade_previous_layout(Table& table) {
  // A death between the two header stores below: the records are rewritten already.
  TableHeader finished = table.header;
  finished.table_size = sizeof(layout_v1::Table);
  if (table.header.table_size == sizeof(Table) && is_sound_v1_header(finished)) {
    table.header.version = k_table_version;
    return true;
  }
  if (!is_sound_v1_header(table.header)) return false;
  static_assert(offsetof(layout_v1::Table, slots) == offsetof(Table, slots));
  auto old = std::make_unique<layout_v1::Table>();
  std::memcpy(static_cast<void*>(old.get()), static_cast<const void*>(&table),
              sizeof(layout_v1::Table));
  for (int i = 0; i < k_max_slots; ++i) table.slots[i] = upgraded(old->slots[i]);
  for (int i = 0; i < k_max_waiters; ++i) table.waiters[i] = upgraded(old->waiters[i]);
  table.header.table_size = sizeof(Table);
  table.header.version = k_table_version;
  return true;
}

}  // namespace vq
