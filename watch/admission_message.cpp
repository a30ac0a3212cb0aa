#include "admission_message.h"

#include <unistd.h>

#include <cerrno>

namespace vq::watch {

std::string admission_message(const WatchRequest& outcome) {
  std::string line;
  auto add = [&line](const char* key, const std::string& value) {
    line += ' ';
    line += key;
    line += '=';
    line += value;
  };
  if (outcome.mode == WatchRequest::Mode::watch) {
    line = "watch";
    add("slot", std::to_string(outcome.slot));
    add("admitted_ms", std::to_string(outcome.admitted_at_ms.value_or(0)));
    if (outcome.oom_kills_before) add("oom_kills", std::to_string(*outcome.oom_kills_before));
  } else {
    line = "record";
    add("end", outcome.end);
    add("end_code", std::to_string(outcome.end_code));
    add("ended_ms", std::to_string(outcome.ended_at_ms));
  }
  return line + '\n';
}

bool apply_admission_message(std::string_view line, WatchRequest& request) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  std::size_t space = line.find(' ');
  std::string_view mode = line.substr(0, space);
  if (mode != "watch" && mode != "record") return false;
  WatchRequest updated = request;
  updated.mode = mode == "watch" ? WatchRequest::Mode::watch : WatchRequest::Mode::record;
  while (space != std::string_view::npos) {
    line.remove_prefix(space + 1);
    space = line.find(' ');
    if (!apply_argument(updated, std::string(line.substr(0, space)))) return false;
  }
  const bool complete = updated.mode == WatchRequest::Mode::watch
                            ? updated.slot >= 0 && updated.admitted_at_ms.has_value()
                            : updated.end == "timed_out" || updated.end == "interrupted";
  if (!complete) return false;
  request = std::move(updated);
  return true;
}

bool await_admission(int fd, WatchRequest& request) {
  // The shim sends the line in one short send(); read until its newline all the same.
  std::string line;
  char buffer[512];
  while (line.size() < 4096 && line.find('\n') == std::string::npos) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  std::size_t end = line.find('\n');
  return end != std::string::npos && apply_admission_message(line.substr(0, end), request);
}

}  // namespace vq::watch
