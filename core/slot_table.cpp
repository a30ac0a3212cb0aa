#include "slot_table.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <cstring>

namespace vq {
namespace {

// FNV-1a: cheap, and any torn write changes it with overwhelming probability.
std::uint32_t fnv1a(const void* data, std::size_t size, std::uint32_t hash = 2166136261u) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}

template <typename Record>
std::uint32_t checksum_without_field(Record copy) {
  copy.checksum = 0;
  return fnv1a(&copy, sizeof copy);
}

template <std::size_t N>
bool is_terminated(const char (&field)[N]) {
  return std::memchr(field, '\0', N) != nullptr;
}

}  // namespace

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
         record.ticket > 0 && record.ticket < next_ticket && is_terminated(record.agent) &&
         record.checksum == record_checksum(record);
}

int repair_records(Table& table) {
  int cleared = 0;
  for (auto& slot : table.slots) {
    bool empty = slot.state == RecordState::empty && slot.pid == 0;
    if (!empty && !is_valid(slot)) {
      std::memset(static_cast<void*>(&slot), 0, sizeof slot);
      ++cleared;
    }
  }
  for (auto& waiter : table.waiters) {
    bool empty = waiter.state == RecordState::empty && waiter.pid == 0;
    if (!empty && !is_valid(waiter, table.header.next_ticket)) {
      std::memset(static_cast<void*>(&waiter), 0, sizeof waiter);
      ++cleared;
    }
  }
  return cleared;
}

Result<SlotTable> SlotTable::open(const QueueDir& dir) {
  // Create and check the file ourselves (no symlinks, ours), then let Boost map it by name.
  auto fd = dir.open_file(k_table_file, O_RDWR);
  if (!fd) return fd.error();
  // Allocate every page now (growing zero-fills, which reads as a blank header): a sparse file
  // on a full filesystem would kill us with SIGBUS at the first write through the mapping,
  // where ENOSPC here is an ordinary error. A larger (newer) file keeps its size.
  int err = ::posix_fallocate(*fd, 0, sizeof(Table));
  ::close(*fd);
  if (err != 0)
    return Error::from_errno("cannot allocate slot table " + dir.file(k_table_file), err);
  try {
    namespace bip = boost::interprocess;
    bip::file_mapping mapping(dir.file(k_table_file).c_str(), bip::read_write);
    bip::mapped_region region(mapping, bip::read_write, 0, sizeof(Table));
    return SlotTable(std::move(mapping), std::move(region));
  } catch (const boost::interprocess::interprocess_exception& e) {
    return Error{"cannot map slot table " + dir.file(k_table_file) + ": " + e.what()};
  }
}

}  // namespace vq
