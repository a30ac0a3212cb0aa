#include "event_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "display_text.h"
#include "queue_dir.h"

namespace vq {
namespace {

constexpr off_t k_max_log_bytes = 1024 * 1024;
constexpr int k_old_log_files = 3;

// vitest-queue.N.log: the names spdlog's rotation gave them, which readers already know.
std::string old_log(const QueueDir& dir, int generation) {
  std::string name = k_log_file;
  return dir.file(name.insert(name.rfind('.'), "." + std::to_string(generation)).c_str());
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Shifts the log to .1.log, .1 to .2, .2 to .3 (the oldest is dropped) if the file at the log's
// path is still `fd`'s, which is large. Under an flock on that file, so that of the launches that
// all found it large, one rotates and the others find it renamed: rotation happens once per
// crossing of the size, not once per launch. A launch that finds the lock taken keeps
// appending to `fd`; its lines land in the .1.log, not lost. The queue directory is private and
// checked, so these paths name what they named when it was opened.
void rotate_if_still_large(const QueueDir& dir, int fd) {
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return;
  struct stat ours {};
  struct stat at_path {};
  bool still_ours = ::fstat(fd, &ours) == 0 && ours.st_size >= k_max_log_bytes &&
                    ::lstat(dir.file(k_log_file).c_str(), &at_path) == 0 &&
                    same_file(ours, at_path);
  if (still_ours) {
    // Old logs hold the same details as the live one: as private as it is.
    ::fchmod(fd, 0600);
    for (int generation = k_old_log_files - 1; generation >= 1; --generation) {
      ::rename(old_log(dir, generation).c_str(), old_log(dir, generation + 1).c_str());
    }
    ::rename(dir.file(k_log_file).c_str(), old_log(dir, 1).c_str());
  }
  ::flock(fd, LOCK_UN);
}

}  // namespace

EventLog::EventLog(int fd, const std::string& level) {
  if (level == "off") {
    ::close(fd);
    return;
  }
  std::FILE* file = ::fdopen(fd, "a");
  if (file == nullptr) {
    ::close(fd);
    return;
  }
  m_file.reset(file, [](std::FILE* f) { std::fclose(f); });
  try {
    // spdlog's console sink writes each line with fwrite and fflush on the FILE it is given:
    // one write(2) per line in append mode, so the lines of many processes do not interleave.
    auto sink =
        std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_nullmutex>>(file);
    auto logger = std::make_shared<spdlog::logger>("vq", std::move(sink));
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l pid=%P %v");
    logger->set_level(spdlog::level::from_str(level));
    m_logger = std::move(logger);
  } catch (const std::exception&) {
    m_logger = nullptr;
  }
}

namespace {
// Agents, directories and commands come from users: escaped, so that none can forge a line
// or reach the terminal of whoever reads the log.
void emit(spdlog::logger* logger, spdlog::level::level_enum level, const std::string& agent,
          const char* event, const std::string& details) {
  if (logger == nullptr || !logger->should_log(level)) return;
  try {
    if (details.empty()) {
      logger->log(level, "agent={} event={}", display_text(agent), event);
    } else {
      logger->log(level, "agent={} event={} {}", display_text(agent), event, display_text(details));
    }
  } catch (const std::exception&) {
    // A full disk must not stop a test run.
  }
}
}  // namespace

EventLog open_event_log(const QueueDir& dir, const std::string& level) {
  if (dir.group()) return EventLog();
  auto fd = dir.open_file(k_log_file, O_WRONLY | O_APPEND);
  if (!fd) return EventLog();
  struct stat st {};
  if (::fstat(*fd, &st) != 0 || st.st_size < k_max_log_bytes) return EventLog(*fd, level);
  rotate_if_still_large(dir, *fd);
  auto live = dir.open_file(k_log_file, O_WRONLY | O_APPEND);
  if (!live) return EventLog(*fd, level);
  struct stat live_st {};
  if (::fstat(*live, &live_st) == 0 && same_file(st, live_st)) {
    // Not rotated (another launch is rotating it): append to it; it becomes the .1.log.
    ::close(*live);
    return EventLog(*fd, level);
  }
  ::close(*fd);
  return EventLog(*live, level);
}

void EventLog::info(const std::string& agent, const char* event, const std::string& details) {
  emit(m_logger.get(), spdlog::level::info, agent, event, details);
}
void EventLog::warn(const std::string& agent, const char* event, const std::string& details) {
  emit(m_logger.get(), spdlog::level::warn, agent, event, details);
}

}  // namespace vq
