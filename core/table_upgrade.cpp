#include "table_upgrade.h"

#include <cstddef>
#include <cstring>
#include <memory>

#include "turn_order.h"

namespace vq {
namespace layout_v1 {

std::uint32_t record_checksum(const WaiterRecord& record) {
  WaiterRecord copy = record;
  copy.checksum = 0;
  return checksum_of(&copy, sizeof copy);
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

bool upgrade_previous_layout(Table& table) {
  if (!is_sound_v1_header(table.header)) return false;
  // The old records sit where the new ones go, with a shorter stride: copy them out first.
  static_assert(offsetof(layout_v1::Table, waiters) == offsetof(Table, waiters));
  constexpr std::size_t k_old_size = sizeof(layout_v1::WaiterRecord) * k_max_waiters;
  auto old_waiters = std::make_unique<layout_v1::WaiterRecord[]>(k_max_waiters);
  std::memcpy(static_cast<void*>(old_waiters.get()),
              reinterpret_cast<const unsigned char*>(&table) + offsetof(Table, waiters),
              k_old_size);
  for (int i = 0; i < k_max_waiters; ++i) table.waiters[i] = upgraded(old_waiters[i]);
  table.header.table_size = sizeof(Table);
  table.header.version = k_table_version;
  return true;
}

}  // namespace vq
