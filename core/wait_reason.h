// Why a waiter is not admitted yet, with the figures that decided it: shown on the live wait
// line and by `status` (text and JSON), so every wait is explained.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "admission_policy.h"
#include "room_policy.h"

namespace vq {

// Stored in the waiter record (a number): only ever append.
enum class WaitBlock : std::uint32_t {
  none = 0,   // not blocked (yet): admitted, or before its first pass
  slots,      // every slot is busy
  ahead,      // waiters ahead take the free slots
  agent_cap,  // its agent runs VQ_PER_AGENT already
  paused,     // the queue is paused
  memory,     // its turn, but room does not cover its estimate
  pressure,   // its turn, but memory pressure holds new runs
};
inline constexpr std::uint32_t k_max_wait_block = static_cast<std::uint32_t>(WaitBlock::pressure);

struct WaitReason {
  WaitBlock block = WaitBlock::none;
  int busy = 0;
  int limit = 0;
  int per_agent = 0;
  std::uint64_t need = 0;  // the estimate room must cover (its own plus those served before it)
  std::uint64_t available = 0;
  std::uint64_t growing = 0;
  std::uint64_t reserve = 0;
  double pressure_percent = 0;
};

// Decides the reason from one pass's scene and walk and, when its turn came, the room verdict.
WaitReason reason_for(const QueueScene& scene, const TurnWalk& walk, const RoomVerdict* room,
                      double pressure_percent);

// "slots", "memory", ...: the JSON name.
std::string_view block_name(WaitBlock block);

// "4/4 busy"; "needs ~1.2 GiB, room 0.8 GiB: available 2.0 − growing runs 1.2"; ...
std::string describe(const WaitReason& reason);

// "1.2 GiB", "512 MiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace vq
