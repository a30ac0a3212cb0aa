// The previous table layout (version 1: slot records without a memory estimate, waiter records
// without a priority or a memory estimate) and its upgrade in place, so a queue in use when vq
// is upgraded keeps its holders' and waiters' records.
#pragma once

#include <cstdint>

#include "slot_table.h"

namespace vq {
namespace layout_v1 {

inline constexpr std::uint32_t k_version = 1;

struct SlotRecord {
  RecordState state;
  std::int32_t pid;
  std::uint64_t start_time;
  std::uint64_t admitted_ms;
  std::uint32_t agent_explicit;
  std::uint32_t checksum;
  char agent[64];
  char cwd[512];
  char command[512];
};

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

// The header is today's; the slot and waiter records are shorter.
struct Table {
  TableHeader header;
  SlotRecord slots[k_max_slots];
  WaiterRecord waiters[k_max_waiters];
};

std::uint32_t record_checksum(const SlotRecord& record);
std::uint32_t record_checksum(const WaiterRecord& record);
void seal(SlotRecord& record);
void seal(WaiterRecord& record);

}  // namespace layout_v1

// Under the update lock, on a table whose header says version 1 (the mapping already covers
// today's larger size): rewrites its slot records (estimate unknown) and waiter records (level
// normal, the default age bound, estimate unknown) in today's layout, keeps the header's limit,
// pause and ticket counter, and writes the new size, then the new version, last. A version-1
// header that is not sound, or another older version, is not upgraded (false): the caller
// rebuilds. A death part-way through the records leaves a version-1 header over partly
// rewritten records: the next upgrade keeps the records that still check and the repair clears
// the rest, slot records included (the slot locks still say who holds; only such a holder's
// agent and estimate are forgotten), and live waiters take their place again with their
// tickets. A death between the two header stores leaves today's size under version 1: only the
// version is set then. (ensure_header upgrades only once no older vq's waiter is left.)
bool upgrade_previous_layout(Table& table);

}  // namespace vq
