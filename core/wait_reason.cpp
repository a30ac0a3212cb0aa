#include "wait_reason.h"

#include <algorithm>
#include <cstdio>

namespace vq {
namespace {

// GiB figures with one decimal, as the room sum is shown ("available 2.0 − growing runs 1.2").
std::string gib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / (1 << 30));
  return text;
}

bool at_agent_cap(const QueueScene& scene) {
  if (!scene.me.agent_explicit) return false;
  auto same = std::count_if(scene.holding.begin(), scene.holding.end(), [&](const Claimant& c) {
    return c.agent_explicit && c.agent == scene.me.agent;
  });
  return same >= scene.rules.per_agent;
}

}  // namespace

WaitReason reason_for(const QueueScene& scene, const TurnWalk& walk, const RoomVerdict* room,
                      double pressure_percent) {
  WaitReason reason;
  reason.busy = static_cast<int>(scene.holding.size());
  reason.limit = scene.rules.limit;
  reason.per_agent = scene.rules.per_agent;
  reason.pressure_percent = pressure_percent;
  if (room != nullptr) {
    reason.need = room->need;
    reason.available = room->available;
    reason.growing = room->growing;
    reason.reserve = room->reserve;
  }
  if (scene.rules.paused) {
    reason.block = WaitBlock::paused;
  } else if (reason.busy >= reason.limit) {
    reason.block = WaitBlock::slots;
  } else if (!walk.mine) {
    reason.block = at_agent_cap(scene) ? WaitBlock::agent_cap : WaitBlock::ahead;
  } else if (room != nullptr && room->block == RoomBlock::memory) {
    reason.block = WaitBlock::memory;
  } else if (room != nullptr && room->block == RoomBlock::pressure) {
    reason.block = WaitBlock::pressure;
  }
  return reason;
}

std::string_view block_name(WaitBlock block) {
  switch (block) {
    case WaitBlock::none:
      return "none";
    case WaitBlock::slots:
      return "slots";
    case WaitBlock::ahead:
      return "ahead";
    case WaitBlock::agent_cap:
      return "agent_cap";
    case WaitBlock::paused:
      return "paused";
    case WaitBlock::memory:
      return "memory";
    case WaitBlock::pressure:
      return "pressure";
  }
  return "none";
}

std::string format_bytes(std::uint64_t bytes) {
  char text[32];
  if (bytes >= (std::uint64_t{1} << 30)) {
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(text, sizeof text, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  }
  return text;
}

std::string describe(const WaitReason& reason) {
  const std::string busy =
      std::to_string(reason.busy) + "/" + std::to_string(reason.limit) + " busy";
  switch (reason.block) {
    case WaitBlock::none:
    case WaitBlock::slots:
      return busy;
    case WaitBlock::ahead:
      return busy + ", waiters ahead take the free slots";
    case WaitBlock::agent_cap:
      return busy + ", its agent runs " + std::to_string(reason.per_agent) +
             " at once already (VQ_PER_AGENT)";
    case WaitBlock::paused:
      return busy + ", queue paused";
    case WaitBlock::memory: {
      std::int64_t room = static_cast<std::int64_t>(reason.available) -
                          static_cast<std::int64_t>(reason.growing + reason.reserve);
      std::string text = "needs ~" + format_bytes(reason.need) + ", room " +
                         (room > 0 ? format_bytes(static_cast<std::uint64_t>(room)) : "0 MiB") +
                         ": available " + gib(reason.available) + " − growing runs " +
                         gib(reason.growing);
      if (reason.reserve > 0) text += " − reserve " + gib(reason.reserve);
      return text + " (" + busy + ")";
    }
    case WaitBlock::pressure: {
      char text[96];
      std::snprintf(text, sizeof text,
                    "memory pressure %.0f%% (PSI some), no new runs until it eases",
                    reason.pressure_percent);
      return text + std::string(" (") + busy + ")";
    }
  }
  return busy;
}

}  // namespace vq
