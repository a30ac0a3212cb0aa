// libFuzzer target: any bytes, taken as a slot table file, go through the repair every vq
// process runs under the update lock (repair_table). Afterwards the table must be usable:
// refused untouched (a newer layout), or a valid header with only valid or empty records, the
// admission limit in range, and a second repair finding nothing to do.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "slot_table.h"

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_table_repair: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vq;
  static auto* table = new Table;
  static auto* before = new Table;
  // As the mapping shows a file: its bytes, zeros past a short file's end (SlotTable::open
  // grows it with posix_fallocate), nothing past sizeof(Table) of a longer one.
  std::memset(static_cast<void*>(table), 0, sizeof(Table));
  if (size > 0)
    std::memcpy(static_cast<void*>(table), data, size < sizeof(Table) ? size : sizeof(Table));
  std::memcpy(static_cast<void*>(before), table, sizeof(Table));

  TableRepair repair = repair_table(*table, 4, 1000);
  require(repair.found == check_header(before->header), "repair reports what it found");
  if (repair.refused) {
    require(repair.found == HeaderCheck::newer_version, "only a newer layout is refused");
    require(std::memcmp(table, before, sizeof(Table)) == 0, "a refused table is left untouched");
    return 0;
  }
  require(check_header(table->header) == HeaderCheck::valid, "header valid after repair");
  int limit = admission_limit(table->header);
  require(limit >= 1 && limit <= k_max_slots, "admission limit within the slots");
  require(static_cast<int>(table->header.limit) == limit, "stored limit within the slots");
  if (repair.upgraded) {
    require(repair.found == HeaderCheck::older_version, "only an older layout is upgraded");
    require(table->header.limit == before->header.limit &&
                table->header.paused == before->header.paused &&
                table->header.next_ticket == before->header.next_ticket,
            "an upgraded table keeps its limit, pause and ticket counter");
  } else if (repair.found != HeaderCheck::valid) {
    require(limit == 4, "a rebuilt table has the seed limit");
  }
  for (const SlotRecord& slot : table->slots) {
    require(slot.state == RecordState::empty || is_valid(slot), "slot record empty or valid");
  }
  for (const WaiterRecord& waiter : table->waiters) {
    require(waiter.state == RecordState::empty || is_valid(waiter, table->header.next_ticket),
            "waiter record empty or valid, ticket below next_ticket");
  }
  std::memcpy(static_cast<void*>(before), table, sizeof(Table));
  TableRepair again = repair_table(*table, 4, 2000);
  require(again.found == HeaderCheck::valid && again.cleared_records == 0,
          "a repaired table needs no second repair");
  require(std::memcmp(table, before, sizeof(Table)) == 0, "a second repair changes nothing");
  return 0;
}
