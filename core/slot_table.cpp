#include "slot_table.h"

#include "mapping_guard.h"
#include "table_upgrade.h"
#include "turn_order.h"
#include "wait_reason.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/mman.h>

#include <boost/interprocess/exceptions.hpp>
#include <cstring>

namespace vq {
namespace {

template <std::size_t N>
bool is_terminated(const char (&field)[N]) {
  return std::memchr(field, '\0', N) != nullptr;
}

}  // namespace

// FNV-1a: cheap, and any torn write changes it with overwhelming probability.
std::uint32_t checksum_of(const void* data, std::size_t size) {
  std::uint32_t hash = 2166136261u;
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}

HeaderCheck check_header(const TableHeader& header) {
  if (header.magic == 0 && header.version == 0) return HeaderCheck::blank;
  if (header.magic != k_table_magic) return HeaderCheck::corrupt;
  if (header.version > k_table_version) return HeaderCheck::newer_version;
  if (header.version < k_table_version) return HeaderCheck::older_version;
  if (header.table_size != sizeof(Table) || header.limit < 1 || header.limit > k_max_slots ||
      header.paused > 1 || header.next_ticket == 0) {
    return HeaderCheck::corrupt;
  }
  return HeaderCheck::valid;
}

std::string_view describe(HeaderCheck check) {
  switch (check) {
    case HeaderCheck::valid:
      return "valid";
    case HeaderCheck::blank:
      return "blank";
    case HeaderCheck::corrupt:
      return "corrupt";
    case HeaderCheck::older_version:
      return "an older layout version";
    case HeaderCheck::newer_version:
      return "a newer layout version";
  }
  return "unknown";
}

void initialize_table(Table& table, int limit, std::uint64_t now_ms) {
  // Runs under the update lock; the magic is written last, so a death part-way leaves a header
  // that reads as corrupt and is initialised again.
  std::memset(static_cast<void*>(&table), 0, sizeof table);
  table.header.version = k_table_version;
  table.header.table_size = sizeof(Table);
  table.header.limit = static_cast<std::uint32_t>(limit);
  table.header.paused = 0;
  table.header.next_ticket = 1;
  table.header.created_ms = now_ms;
  table.header.magic = k_table_magic;
}

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

bool is_valid(const SlotRecord& record) {
  return record.state == RecordState::used && record.pid > 0 && record.agent_explicit <= 1 &&
         is_terminated(record.agent) && is_terminated(record.cwd) &&
         is_terminated(record.command) && record.checksum == record_checksum(record);
}

bool is_valid(const WaiterRecord& record, std::uint64_t next_ticket) {
  return record.state == RecordState::used && record.pid > 0 && record.agent_explicit <= 1 &&
         record.level <= static_cast<std::uint32_t>(Priority::urgent) && record.age_bound_ms > 0 &&
         record.turn <= static_cast<std::uint32_t>(k_max_waiters + k_max_slots) &&
         record.ticket > 0 && record.ticket < next_ticket && is_terminated(record.agent) &&
         record.blocked <= k_max_wait_block && record.pressure_permille <= 1000 &&
         record.checksum == record_checksum(record);
}

int repair_records(Table& table) {
  int cleared = 0;
  for (auto& slot : table.slots) {
    if (!is_empty(slot) && !is_valid(slot)) {
      std::memset(static_cast<void*>(&slot), 0, sizeof slot);
      ++cleared;
    }
  }
  for (auto& waiter : table.waiters) {
    if (!is_empty(waiter) && !is_valid(waiter, table.header.next_ticket)) {
      std::memset(static_cast<void*>(&waiter), 0, sizeof waiter);
      ++cleared;
    }
  }
  return cleared;
}

TableRepair repair_table(Table& table, int seed_limit, std::uint64_t now_ms) {
  TableRepair repair;
  repair.found = check_header(table.header);
  switch (repair.found) {
    case HeaderCheck::valid:
      break;
    case HeaderCheck::newer_version:
      repair.refused = true;
      return repair;
    case HeaderCheck::older_version:
      repair.upgraded = upgrade_previous_layout(table);
      if (!repair.upgraded) initialize_table(table, seed_limit, now_ms);
      break;
    case HeaderCheck::blank:
    case HeaderCheck::corrupt:
      initialize_table(table, seed_limit, now_ms);
      break;
  }
  repair.cleared_records = repair_records(table);
  return repair;
}

int admission_limit(const TableHeader& header) {
  std::uint32_t limit = header.limit;  // read once: the bound and the value are the same word
  return limit < 1                                         ? 1
         : limit > static_cast<std::uint32_t>(k_max_slots) ? k_max_slots
                                                           : static_cast<int>(limit);
}

namespace {

// The descriptor we opened and checked, as Boost's mapped_region takes it. Mapping by name
// instead would open the path a second time: in a group-shared directory another member could
// have swapped in a symlink between the check and the mapping.
struct CheckedFile {
  int fd;
  boost::interprocess::mapping_handle_t get_mapping_handle() const {
    return boost::interprocess::ipcdetail::mapping_handle_from_file_handle(fd);
  }
  boost::interprocess::mode_t get_mode() const { return boost::interprocess::read_write; }
};

// Opens the table file, checked, with every page allocated: growing zero-fills, which reads as a
// blank header, and a sparse file on a full filesystem would kill us with SIGBUS at the first
// write through the mapping, where ENOSPC here is an ordinary error. A larger (newer) file keeps
// its size.
Result<int> open_allocated(const QueueDir& dir) {
  auto fd = dir.open_file(k_table_file, O_RDWR);
  if (!fd) return fd.error();
  // On every open, not only for a short file: st_blocks cannot prove the first sizeof(Table)
  // bytes hole-free (indirect blocks count, a longer file may hold its blocks elsewhere), and
  // on a full filesystem a hole is a SIGBUS. It costs about 2 us when nothing is missing.
  int err = ::posix_fallocate(*fd, 0, sizeof(Table));
  if (err != 0) {
    ::close(*fd);
    return Error::from_errno("cannot allocate slot table " + dir.file(k_table_file), err);
  }
  return fd;
}

}  // namespace

Result<SlotTable> SlotTable::open(const QueueDir& dir) {
  auto fd = open_allocated(dir);
  if (!fd) return fd.error();
  try {
    namespace bip = boost::interprocess;
    bip::mapped_region region(CheckedFile{*fd}, bip::read_write, 0, sizeof(Table));
    ::close(*fd);  // the mapping keeps the file
    guard_mapping(region.get_address(), sizeof(Table));
    return SlotTable(std::move(region));
  } catch (const boost::interprocess::interprocess_exception& e) {
    ::close(*fd);
    return Error{"cannot map slot table " + dir.file(k_table_file) + ": " + e.what()};
  }
}

SlotTable& SlotTable::operator=(SlotTable&& other) noexcept {
  if (this != &other) {
    if (m_region.get_address() != nullptr) unguard_mapping(m_region.get_address());
    m_region = std::move(other.m_region);
  }
  return *this;
}

SlotTable::~SlotTable() {
  // A moved-from table has no mapping.
  if (m_region.get_address() != nullptr) unguard_mapping(m_region.get_address());
}

Status SlotTable::recover(const QueueDir& dir) {
  void* start = m_region.get_address();
  if (start == nullptr || !take_mapping_lost(start)) return ok_status();
  auto fd = open_allocated(dir);
  if (!fd) return fd.error();
  void* mapped =
      ::mmap(start, sizeof(Table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, *fd, 0);
  int err = errno;
  ::close(*fd);
  if (mapped == MAP_FAILED) {
    return Error::from_errno("cannot map slot table " + dir.file(k_table_file) + " again", err);
  }
  return ok_status();
}

}  // namespace vq
