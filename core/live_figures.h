// The live figures file in the queue directory: each holder's memory and CPU as its watcher
// (vq-watch) last sampled them, one fixed-size entry per slot, read by `vq-admin status`.
//
// Written without locks: only the watcher of the run holding slot i writes entry i, and a
// sequence counter (odd while an entry is being written) lets a reader retry a torn read. A
// reader trusts an entry only when its pid and start time are those of the slot's holder, so
// figures left by an earlier run of that slot never show for the next.
#pragma once

#include <cstdint>
#include <optional>

#include "process_identity.h"
#include "queue_dir.h"
#include "result.h"

namespace vq {

inline constexpr const char* k_live_figures_file = "live.figures";

struct LiveFigures {
  std::int64_t memory_bytes = 0;       // the tree's memory at the last sample
  std::int64_t peak_memory_bytes = 0;  // the largest sample so far
  bool memory_is_rss = false;          // PSS unreadable: RSS summed instead
  std::int64_t cpu_ms = 0;             // the tree's CPU time, reaped workers included
  std::int64_t sampled_at_ms = 0;      // unix epoch milliseconds
  // Under VQ_CLUSTER, the run's cluster permit as its lease keeper last knew it (0 none, 1 held,
  // 2 lost, 3 local-only: watch/permit_state.h's order); in the entry's spare flag bits.
  int cluster_permit = 0;
};

class LiveFiguresFile {
 public:
  // Maps the file (creating it, with the queue directory's checks, when absent).
  static Result<LiveFiguresFile> open(const QueueDir& dir);
  LiveFiguresFile(LiveFiguresFile&& other) noexcept;
  LiveFiguresFile& operator=(LiveFiguresFile&&) = delete;
  LiveFiguresFile(const LiveFiguresFile&) = delete;
  ~LiveFiguresFile();

  void write(int slot, const ProcessIdentity& run, const LiveFigures& figures);
  // The figures of `slot` if its entry is `run`'s and a consistent read succeeds.
  std::optional<LiveFigures> read(int slot, const ProcessIdentity& run) const;

 private:
  explicit LiveFiguresFile(void* map) : m_map(map) {}
  void* m_map = nullptr;
};

}  // namespace vq
