// The cluster watcher's reports to the shim: one line per event on the report pipe, written by
// vq-watch while it waits for the run's cluster permit and read by the shim, which then execs
// vitest, waits on, or runs with this machine's limit only.
//
//   queued <ticket> <ahead>   in the cluster queue; again whenever <ahead> changes
//   admitted <token>          the permit is held; <token> is its fencing token
//   unreachable <reason>      no cluster queue for this run (the reason is one sentence)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vq::watch {

struct ClusterReport {
  enum class Kind { queued, admitted, unreachable };
  Kind kind = Kind::queued;
  std::uint64_t ticket = 0;  // queued
  std::size_t ahead = 0;     // queued
  std::uint64_t token = 0;   // admitted
  std::string reason;        // unreachable
};

// The report as its line, newline included; a reason's line breaks become spaces.
std::string format_report(const ClusterReport& report);
// One line without its newline; none for anything else.
std::optional<ClusterReport> parse_report(std::string_view line);

}  // namespace vq::watch
