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
  // Opens <dir>/vitest-queue.log with rotation (1 MiB, 3 old files). Never throws: a log that
  // cannot be opened drops events rather than stopping a test run.
  EventLog(const std::string& dir, const std::string& level);
  // Appends to `fd`, a log file already opened (close-on-exec) and below the rotation size;
  // takes it over. The file may end a little past the size; the next log opened by name
  // rotates it.
  EventLog(int fd, const std::string& level);

  // "agent=<agent> event=<event> <details>"; the pattern adds time, level and pid. Agent and
  // details are written through display_text: control characters escaped.
  void info(const std::string& agent, const char* event, const std::string& details = {});
  void warn(const std::string& agent, const char* event, const std::string& details = {});

 private:
  std::shared_ptr<std::FILE> m_file;  // for the fd constructor: outlives the logger's sink
  std::shared_ptr<spdlog::logger> m_logger;
};

// The queue directory's log. The file is opened first (created if missing, never through a
// symlink, checked); below the rotation size that descriptor is the log, else spdlog opens it
// by name to rotate it. In group mode no log is kept: spdlog opens and rotates by name, and in
// a directory other members can write to, a symlink planted between rotation and reopening
// would make us append to a file of our own choosing elsewhere.
EventLog open_event_log(const QueueDir& dir, const std::string& level);

}  // namespace vq
