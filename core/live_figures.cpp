#include "live_figures.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

#include "config.h"

namespace vq {
namespace {

// Every field atomic, so concurrent access through the shared mapping is defined behaviour;
// the sequence counter orders them.
struct Entry {
  std::atomic<std::uint64_t> sequence;
  std::atomic<std::int64_t> pid;
  std::atomic<std::uint64_t> start_time;
  std::atomic<std::int64_t> memory_bytes;
  std::atomic<std::int64_t> peak_memory_bytes;
  std::atomic<std::int64_t> cpu_ms;
  std::atomic<std::int64_t> sampled_at_ms;
  std::atomic<std::uint64_t> flags;
};
static_assert(sizeof(Entry) == 64 && std::atomic<std::uint64_t>::is_always_lock_free);
constexpr std::uint64_t k_flag_rss = 1;
constexpr int k_permit_shift = 1;  // flags bits 1-2: the cluster permit
constexpr std::uint64_t k_permit_mask = 3;
constexpr std::size_t k_file_size = sizeof(Entry) * k_max_limit;

Entry* entry_at(void* map, int slot) {
  return static_cast<Entry*>(map) + slot;
}

}  // namespace

Result<LiveFiguresFile> LiveFiguresFile::open(const QueueDir& dir) {
  VQ_TRY_ASSIGN(opened, dir.open_file(k_live_figures_file, O_RDWR));
  const int fd = *opened;
  // Every page allocated before it is mapped, as the table is: on a full filesystem a fault on
  // a hole (tmpfs allocates even on a read) would raise SIGBUS; here it is an ENOSPC error.
  if (int err = ::posix_fallocate(fd, 0, static_cast<off_t>(k_file_size)); err != 0) {
    ::close(fd);
    return Error::from_errno("cannot allocate " + dir.file(k_live_figures_file), err);
  }
  void* map = ::mmap(nullptr, k_file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Error::from_errno("cannot map " + dir.file(k_live_figures_file));
  return LiveFiguresFile(map);
}

LiveFiguresFile::LiveFiguresFile(LiveFiguresFile&& other) noexcept : m_map(other.m_map) {
  other.m_map = nullptr;
}

LiveFiguresFile::~LiveFiguresFile() {
  if (m_map != nullptr) ::munmap(m_map, k_file_size);
}

void LiveFiguresFile::write(int slot, const ProcessIdentity& run, const LiveFigures& figures) {
  if (slot < 0 || slot >= k_max_limit) return;
  Entry* entry = entry_at(m_map, slot);
  std::uint64_t sequence = entry->sequence.load(std::memory_order_relaxed);
  // Odd: being written. A counter left odd by a writer that died mid-write is made even here.
  entry->sequence.store((sequence | 1) + 2, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  entry->pid.store(run.pid, std::memory_order_relaxed);
  entry->start_time.store(run.start_time, std::memory_order_relaxed);
  entry->memory_bytes.store(figures.memory_bytes, std::memory_order_relaxed);
  entry->peak_memory_bytes.store(figures.peak_memory_bytes, std::memory_order_relaxed);
  entry->cpu_ms.store(figures.cpu_ms, std::memory_order_relaxed);
  entry->sampled_at_ms.store(figures.sampled_at_ms, std::memory_order_relaxed);
  const std::uint64_t permit = static_cast<std::uint64_t>(figures.cluster_permit) & k_permit_mask;
  entry->flags.store((figures.memory_is_rss ? k_flag_rss : 0) | permit << k_permit_shift,
                     std::memory_order_relaxed);
  entry->sequence.store((sequence | 1) + 3, std::memory_order_release);
}

std::optional<LiveFigures> LiveFiguresFile::read(int slot, const ProcessIdentity& run) const {
  if (slot < 0 || slot >= k_max_limit) return std::nullopt;
  const Entry* entry = entry_at(m_map, slot);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::uint64_t before = entry->sequence.load(std::memory_order_acquire);
    if ((before & 1) != 0) continue;
    ProcessIdentity owner{static_cast<pid_t>(entry->pid.load(std::memory_order_relaxed)),
                          entry->start_time.load(std::memory_order_relaxed)};
    LiveFigures figures;
    figures.memory_bytes = entry->memory_bytes.load(std::memory_order_relaxed);
    figures.peak_memory_bytes = entry->peak_memory_bytes.load(std::memory_order_relaxed);
    figures.cpu_ms = entry->cpu_ms.load(std::memory_order_relaxed);
    figures.sampled_at_ms = entry->sampled_at_ms.load(std::memory_order_relaxed);
    const std::uint64_t flags = entry->flags.load(std::memory_order_relaxed);
    figures.memory_is_rss = (flags & k_flag_rss) != 0;
    figures.cluster_permit = static_cast<int>(flags >> k_permit_shift & k_permit_mask);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (entry->sequence.load(std::memory_order_relaxed) != before) continue;
    if (owner != run) return std::nullopt;
    return figures;
  }
  return std::nullopt;
}

}  // namespace vq
