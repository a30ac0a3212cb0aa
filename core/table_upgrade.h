// The previous table layout (version 1: waiter records without a priority) and its upgrade in
// place, so a queue in use when vq is upgraded keeps its holders' and waiters' records.
#pragma once

#include <cstdint>

#include "slot_table.h"

namespace vq {
namespace layout_v1 {

inline constexpr std::uint32_t k_version = 1;

struct WaiterRecord {
  RecordState state;
  std::int32_t pid;
  std::uint64_t start_time;
  std::uint64_t ticket;
  std::uint64_t since_ms;
  std::uint32_t agent_explicit;
  std::uint32_t checksum;
  char agent[64];
};

// The header and slot records are those of today's layout; only the waiter records differ.
struct Table {
  TableHeader header;
  SlotRecord slots[k_max_slots];
  WaiterRecord waiters[k_max_waiters];
};

std::uint32_t record_checksum(const WaiterRecord& record);
void seal(WaiterRecord& record);

}  // namespace layout_v1

// Under the update lock, on a table whose header says version 1: rewrites its waiter records
// in today's layout (level normal, the default age bound), keeps the header's limit, pause and
// ticket counter and the slot records, and writes the new version last. A version-1 header that
// is not sound, or another older version, is not upgraded (false): the caller rebuilds. A death
// part-way leaves a version-1 header over partly rewritten records: the next upgrade keeps the
// records that still check and the repair clears the rest (live waiters take their place again
// with their tickets).
bool upgrade_previous_layout(Table& table);

}  // namespace vq
