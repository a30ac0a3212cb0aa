#include "run_record.h"

#include <array>
#include <string>

namespace vq::history {
namespace {

// Exit statuses are 0..255 and signals 1..64 on Linux: every text describe() can give is made
// once, so it returns a view that never dangles.
constexpr int k_exit_codes = 256;
constexpr int k_signals = 65;

template <std::size_t N>
std::array<std::string, N> texts(const char* before, const char* after) {
  std::array<std::string, N> made;
  for (std::size_t i = 0; i < N; ++i) made[i] = before + std::to_string(i) + after;
  return made;
}

}  // namespace

std::string_view describe(RunEnd end, int code) {
  static const auto exited = texts<k_exit_codes>("exited ", "");
  static const auto signaled = texts<k_signals>("killed by signal ", "");
  static const auto interrupted = texts<k_signals>("interrupted while waiting (signal ", ")");
  bool signal_known = code > 0 && code < k_signals;
  switch (end) {
    case RunEnd::exited:
      return code >= 0 && code < k_exit_codes ? std::string_view(exited[code]) : "exited";
    case RunEnd::signaled:
      return signal_known ? std::string_view(signaled[code]) : "killed by a signal";
    case RunEnd::oom_killed:
      return "killed by the OOM killer";
    case RunEnd::wait_timed_out:
      return "timed out waiting";
    case RunEnd::wait_interrupted:
      return signal_known ? std::string_view(interrupted[code]) : "interrupted while waiting";
    case RunEnd::unknown:
      break;
  }
  return "unknown";
}

std::string_view end_name(RunEnd end) {
  switch (end) {
    case RunEnd::exited:
      return "exited";
    case RunEnd::signaled:
      return "signaled";
    case RunEnd::oom_killed:
      return "oom_killed";
    case RunEnd::wait_timed_out:
      return "wait_timed_out";
    case RunEnd::wait_interrupted:
      return "wait_interrupted";
    case RunEnd::unknown:
      break;
  }
  return "unknown";
}

RunEnd end_from_name(std::string_view name) {
  for (RunEnd end : k_all_run_ends) {
    if (end_name(end) == name) return end;
  }
  return RunEnd::unknown;
}

std::int64_t wait_ms(const RunRecord& run) {
  return run.admitted_at_ms.value_or(run.ended_at_ms) - run.queued_at_ms;
}

std::optional<std::int64_t> run_ms(const RunRecord& run) {
  if (!run.admitted_at_ms) return std::nullopt;
  return run.ended_at_ms - *run.admitted_at_ms;
}

}  // namespace vq::history
