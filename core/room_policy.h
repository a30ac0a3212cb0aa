// Whether the machine has room for one more run: pure functions over what the probes saw (a
// RoomScene), separate from whose turn it is (admission_policy): ORDER picks the waiter, ROOM
// decides whether it may start now.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace vq {

struct HolderRoom {
  std::uint64_t estimate_bytes = 0;
  std::optional<std::uint64_t> current_bytes;  // none: unreadable, its whole estimate is reserved
};

// What a holder admitted earlier is still expected to add: its estimate − its current memory.
// Free memory sampled right after admissions misses what the new runs are about to take.
std::uint64_t still_growing(const HolderRoom& holder);

struct RoomScene {
  std::optional<std::uint64_t> mem_available;    // MemAvailable
  std::optional<std::uint64_t> cgroup_headroom;  // tightest cgroup limit − working set
  std::vector<HolderRoom> holders;
  bool reserve_growing = true;  // VQ_MEMORY_RESERVE_GROWING=0 leaves the term out
  std::uint64_t reserve_bytes = 0;
  // My estimate plus those of the waiters ahead that take free slots first: a smaller run must
  // not overtake the head of the queue by fitting where the head does not.
  std::uint64_t need_bytes = 0;
  bool pressure_high = false;
};

enum class RoomBlock { none, memory, pressure };

struct RoomVerdict {
  bool admit = true;
  RoomBlock block = RoomBlock::none;
  bool known = false;           // a memory figure was readable
  std::uint64_t available = 0;  // min(MemAvailable, cgroup headroom)
  std::uint64_t growing = 0;    // Σ still_growing over the holders
  std::uint64_t reserve = 0;
  std::int64_t room = 0;  // available − growing − reserve (may be negative)
  std::uint64_t need = 0;
};

// Admit when nothing holds (progress: a run bigger than the machine still runs, alone), else
// only without memory pressure and when room covers the need. No readable memory figure: judged
// by the slot count alone.
RoomVerdict judge_room(const RoomScene& scene);

// VQ_MEMORY_RESERVE: bytes, or a percentage of the memory budget.
struct MemoryReserve {
  std::uint64_t bytes = 0;
  double percent = 5;  // used when bytes is 0
};
// The budget is the tighter of MemTotal and the cgroup limit.
std::uint64_t reserve_bytes(const MemoryReserve& reserve, std::uint64_t budget_bytes);

// VQ_MAX_PROCESSES=auto: one run per core, no more than the budget holds at the cold estimate,
// at least 1, at most `max_limit`.
int auto_limit(int cores, std::uint64_t budget_bytes, std::uint64_t cold_estimate_bytes,
               int max_limit);

}  // namespace vq
