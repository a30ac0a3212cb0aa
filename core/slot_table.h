// The slot table: a fixed-layout, versioned record of who holds and who waits, mapped from
// the queue directory into every vq process (Boost.Interprocess). It is metadata for display
// and ordering; which slots are held is decided by the kernel record locks (see LockFile).
#pragma once

#include <boost/interprocess/mapped_region.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.h"
#include "display_text.h"
#include "queue_dir.h"
#include "result.h"

namespace vq {

inline constexpr std::uint64_t k_table_magic = 0x454c424154515676ULL;  // "vQTABLE" little-endian
inline constexpr std::uint32_t k_table_version = 3;  // 3: priorities and memory estimates
inline constexpr int k_max_slots = k_max_limit;
inline constexpr int k_max_waiters = 1024;

enum class RecordState : std::uint32_t { empty = 0, used = 1 };

struct TableHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t table_size;
  std::uint32_t limit;   // admitted runs at once; an aligned word, so a lone store is atomic
  std::uint32_t paused;  // 1: admit nobody new (drain)
  std::uint64_t next_ticket;
  std::uint64_t created_ms;
};

// Every record carries a checksum so a record torn by a death mid-update is recognised.
struct SlotRecord {
  RecordState state;
  std::int32_t pid;
  std::uint64_t start_time;
  std::uint64_t admitted_ms;  // wall clock, ms since the epoch
  std::uint32_t agent_explicit;
  std::uint32_t checksum;
  char agent[64];
  char cwd[512];
  char command[512];
  // Memory admission: what this run is expected to peak at, so other launches can
  // reserve what it may still grow by; 0 when unknown.
  std::uint64_t estimate_bytes;
};

struct WaiterRecord {
  RecordState state;
  std::int32_t pid;
  std::uint64_t start_time;
  std::uint64_t ticket;
  std::uint64_t since_ms;
  std::uint32_t agent_explicit;
  std::uint32_t level;         // a Priority (turn_order.h)
  std::uint32_t age_bound_ms;  // the waiter's own VQ_PRIORITY_MAX_AGE
  std::uint32_t turn;          // fair turns: its agent's runs ahead of it when it arrived
  std::uint32_t spare;         // zero; keeps the record free of padding (checksummed bytes)
  std::uint32_t checksum;
  char agent[64];
  // Memory admission: the run's estimate, and what held it back in its last pass
  // (a WaitBlock with that pass's figures), for status to explain every wait.
  std::uint64_t estimate_bytes;
  std::uint32_t blocked;
  std::uint32_t pressure_permille;
  std::uint64_t room_available;
  std::uint64_t room_growing;
  std::uint64_t room_reserve;
  std::uint64_t room_need;  // its estimate plus those of the waiters served before it
};

static_assert(sizeof(SlotRecord) == 1128, "no padding: the checksum hashes every byte");
static_assert(sizeof(WaiterRecord) == 168, "no padding: the checksum hashes every byte");

struct Table {
  TableHeader header;
  SlotRecord slots[k_max_slots];
  WaiterRecord waiters[k_max_waiters];
};

enum class HeaderCheck { valid, blank, corrupt, older_version, newer_version };
HeaderCheck check_header(const TableHeader& header);
std::string_view describe(HeaderCheck check);

void initialize_table(Table& table, int limit, std::uint64_t now_ms);

// The checksum of `size` bytes (records hash themselves with their checksum field zeroed).
std::uint32_t checksum_of(const void* data, std::size_t size);
// A record's checksum: its bytes with the checksum field zeroed (any layout's record).
template <typename Record>
std::uint32_t checksum_without_field(Record copy) {
  copy.checksum = 0;
  return checksum_of(&copy, sizeof copy);
}
std::uint32_t record_checksum(const SlotRecord& record);
std::uint32_t record_checksum(const WaiterRecord& record);
void seal(SlotRecord& record);  // sets the checksum after the fields are written
void seal(WaiterRecord& record);

// An empty record: never written, or cleared. Anything else is in use, or torn.
inline bool is_empty(const SlotRecord& record) {
  return record.state == RecordState::empty && record.pid == 0;
}
inline bool is_empty(const WaiterRecord& record) {
  return record.state == RecordState::empty && record.pid == 0;
}

// Arrival order, by ticket: the tie-break of the line's order (turn_order.h).
inline bool queued_before(const WaiterRecord& a, const WaiterRecord& b) {
  return a.ticket < b.ticket;
}

// A used record is valid when its checksum matches and its fields are in range.
bool is_valid(const SlotRecord& record);
bool is_valid(const WaiterRecord& record, std::uint64_t next_ticket);

// Clears every record that is neither empty nor valid; returns how many it cleared.
int repair_records(Table& table);

// What a vq process does with the table it finds, under the update lock: a valid header is kept,
// a blank one initialised, one of the previous layout upgraded in place (table_upgrade.h), a
// corrupt or other older one rebuilt (all with `seed_limit`), a newer one left alone (another vq
// version owns it); then torn records are cleared. Afterwards a table not refused has a valid
// header and only valid or empty records, whatever bytes it held.
struct TableRepair {
  HeaderCheck found = HeaderCheck::valid;
  bool refused = false;   // a newer layout: nothing was touched
  bool upgraded = false;  // the previous layout, its records kept
  int cleared_records = 0;
};
TableRepair repair_table(Table& table, int seed_limit, std::uint64_t now_ms);

// The limit to admit by: the header's, bounded to the slots that exist even if another process
// wrote the header without the update lock after it was checked.
int admission_limit(const TableHeader& header);

// Copies text into a fixed field, always NUL-terminated, the rest zeroed. Text that does not fit
// is cut at a character boundary: valid UTF-8 stays valid.
template <std::size_t N>
void set_text(char (&field)[N], std::string_view text) {
  std::size_t n = utf8_prefix_length(text, N - 1);
  for (std::size_t i = 0; i < N; ++i) field[i] = i < n ? text[i] : '\0';
}
template <std::size_t N>
std::string_view get_text(const char (&field)[N]) {
  std::size_t n = 0;
  while (n < N && field[n] != '\0') ++n;
  return {field, n};
}

// The table file mapped into this process. Mapping it does not validate it: callers check the
// header under the update lock and initialise or repair there. The mapping is guarded against
// the file shrinking under it (mapping_guard.h): the table then reads as zeros until recover().
class SlotTable {
 public:
  static Result<SlotTable> open(const QueueDir& dir);

  SlotTable(SlotTable&& other) noexcept = default;
  SlotTable& operator=(SlotTable&& other) noexcept;
  SlotTable(const SlotTable&) = delete;
  SlotTable& operator=(const SlotTable&) = delete;
  ~SlotTable();

  // Under the update lock, before reading the table: if the file shrank under the mapping since
  // the last call, maps it again (regrown; at the same address, so references stay valid).
  Status recover(const QueueDir& dir);

  Table& table() { return *static_cast<Table*>(m_region.get_address()); }
  const Table& table() const { return *static_cast<const Table*>(m_region.get_address()); }

 private:
  explicit SlotTable(boost::interprocess::mapped_region region) : m_region(std::move(region)) {}
  boost::interprocess::mapped_region m_region;
};

}  // namespace vq
