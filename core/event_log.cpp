#include "event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "display_text.h"
#include "queue_dir.h"

namespace vq {
namespace {

constexpr std::size_t k_max_log_bytes = 1024 * 1024;
constexpr std::size_t k_old_log_files = 3;

}  // namespace

EventLog::EventLog(const std::string& dir, const std::string& level) {
  if (level == "off") return;
  try {
    // Single-threaded sink: each vq process logs from one thread. Many processes append to the
    // same file; each line is one write in append mode, so lines do not interleave.
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(
        dir + "/" + k_log_file, k_max_log_bytes, k_old_log_files);
    auto logger = std::make_shared<spdlog::logger>("vq", std::move(sink));
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l pid=%P %v");
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    m_logger = std::move(logger);
  } catch (const std::exception&) {
    m_logger = nullptr;
  }
}

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
    // one write(2) per line in append mode, like the rotating sink, with no open by name.
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
      logger->log(level, "agent={} event={} {}", display_text(agent), event,
                  display_text(details));
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
  // Opening by name again costs a path walk with the directory locked (O_CREAT) on every
  // launch; only rotation needs it.
  struct stat st {};
  if (::fstat(*fd, &st) == 0 && st.st_size < static_cast<off_t>(k_max_log_bytes)) {
    return EventLog(*fd, level);
  }
  ::close(*fd);
  return EventLog(dir.path(), level);
}

void EventLog::info(const std::string& agent, const char* event, const std::string& details) {
  emit(m_logger.get(), spdlog::level::info, agent, event, details);
}
void EventLog::warn(const std::string& agent, const char* event, const std::string& details) {
  emit(m_logger.get(), spdlog::level::warn, agent, event, details);
}

}  // namespace vq
