// The queue's log: plain text lines in the queue directory, one per event, size-bounded.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace vq {

class QueueDir;

class EventLog {
 public:
  // A log that drops everything; used until the queue directory is known, or when it fails.
  EventLog() = default;
  // Appends to `fd`, a log file already opened (close-on-exec); takes it over. Never throws: a
  // log that cannot be written drops events rather than stopping a test run.
  EventLog(int fd, const std::string& level);

  // "agent=<agent> event=<event> <details>"; the pattern adds time, level and pid. Agent and
  // details are written through display_text: control characters escaped.
  void info(const std::string& agent, const char* event, const std::string& details = {});
  void warn(const std::string& agent, const char* event, const std::string& details = {});

 private:
  std::shared_ptr<std::FILE> m_file;  // outlives the logger's sink
  std::shared_ptr<spdlog::logger> m_logger;
};

// The queue directory's log, <dir>/vitest-queue.log, size-bounded: a launch that finds it at
// 1 MiB or more rotates it (3 old files, 0600 like the live one) before appending, once per
// crossing of the size however many launches find it large at once. Opened by descriptor,
// never through a symlink, checked. In group mode no log is kept: rotation goes by name, and
// in a directory other members can write to, a file planted between rotation and reopening
// would make us append to a file of their choosing.
EventLog open_event_log(const QueueDir& dir, const std::string& level);

}  // namespace vq
