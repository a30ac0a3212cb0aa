// The queue's log: plain text lines in the queue directory, one per event, size-bounded.
#pragma once

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

  // "agent=<agent> event=<event> <details>"; the pattern adds time, level and pid.
  void info(const std::string& agent, const char* event, const std::string& details = {});
  void warn(const std::string& agent, const char* event, const std::string& details = {});

 private:
  std::shared_ptr<spdlog::logger> m_logger;
};

// The queue directory's log. The file is created first (never through a symlink) and spdlog
// then opens it by name. In group mode no log is kept: spdlog opens and rotates by name, and in
// a directory other members can write to, a symlink planted between rotation and reopening
// would make us append to a file of our own choosing elsewhere.
EventLog open_event_log(const QueueDir& dir, const std::string& level);

}  // namespace vq
