#include "cluster_wait.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>

#include "cluster_report.h"
#include "display_text.h"

namespace vq {
namespace {

using Clock = std::chrono::steady_clock;

// A watcher's report is a few dozen bytes; anything longer without a newline is not one.
constexpr std::size_t k_max_report = 4096;
// The wait line's seconds move once a second, as the local wait line's do.
constexpr int k_redraw_ms = 1000;

ClusterWait ended_by(ClusterWait::Outcome outcome) {
  ClusterWait wait;
  wait.outcome = outcome;
  return wait;
}

class ClusterWaitLoop {
 public:
  ClusterWaitLoop(int report_fd, const ClusterWaitOptions& options, WaitDisplay& display)
      : m_fd(report_fd), m_options(options), m_display(display), m_started(Clock::now()) {}

  ClusterWait run() {
    for (;;) {
      if (auto ended = step()) {
        ended->ahead = m_ahead;
        ended->waited_s = waited_s();
        if (ended->outcome != ClusterWait::Outcome::admitted || m_shown) m_display.finish();
        if (ended->outcome == ClusterWait::Outcome::admitted && m_shown) {
          m_display.on_admitted(ended->waited_s);
        }
        return *ended;
      }
    }
  }

 private:
  std::optional<ClusterWait> step() {
    if (timed_out()) return ended_by(ClusterWait::Outcome::timed_out);
    pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_options.signal_fd, POLLIN, 0}};
    int ready = ::poll(fds, m_options.signal_fd >= 0 ? 2 : 1, poll_ms());
    if (ready < 0 && errno != EINTR) return unreachable("the shim could not poll its pipe");
    if (ready <= 0) return redraw();
    if (fds[1].revents & POLLIN) {
      if (auto signal = read_signal()) {
        ClusterWait wait = ended_by(ClusterWait::Outcome::interrupted);
        wait.signal = *signal;
        return wait;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) return read_reports();
    return std::nullopt;
  }

  std::optional<int> read_signal() {
    signalfd_siginfo info{};
    if (::read(m_options.signal_fd, &info, sizeof info) != sizeof info) return std::nullopt;
    return static_cast<int>(info.ssi_signo);
  }

  std::optional<ClusterWait> read_reports() {
    char buffer[512];
    ssize_t n = ::read(m_fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return std::nullopt;
    if (n <= 0) return unreachable("vq-watch ended before the cluster queue answered");
    m_pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t end; (end = m_pending.find('\n')) != std::string::npos;) {
      std::string line = m_pending.substr(0, end);
      m_pending.erase(0, end + 1);
      if (auto ended = on_report(line)) return ended;
    }
    if (m_pending.size() > k_max_report) return unreachable("vq-watch sent an unreadable report");
    return std::nullopt;
  }

  std::optional<ClusterWait> on_report(const std::string& line) {
    auto report = watch::parse_report(line);
    if (!report) return unreachable("vq-watch sent an unreadable report");
    switch (report->kind) {
      case watch::ClusterReport::Kind::admitted: {
        ClusterWait wait = ended_by(ClusterWait::Outcome::admitted);
        wait.token = report->token;
        return wait;
      }
      case watch::ClusterReport::Kind::unreachable:
        return unreachable(report->reason);
      case watch::ClusterReport::Kind::queued:
        m_ahead = report->ahead;
        show();
        return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<ClusterWait> redraw() {
    if (m_shown) m_display.show_line(cluster_waiting_line(m_options.queue, m_ahead), waited_s());
    return std::nullopt;
  }

  void show() {
    std::string line = cluster_waiting_line(m_options.queue, m_ahead);
    if (!m_shown) {
      m_display.start_line(line);
      m_shown = true;
    } else {
      m_display.show_line(line, waited_s());
    }
  }

  static ClusterWait unreachable(std::string reason) {
    ClusterWait wait = ended_by(ClusterWait::Outcome::unreachable);
    wait.reason = std::move(reason);
    return wait;
  }

  int poll_ms() const {
    if (m_options.timeout_s <= 0) return k_redraw_ms;
    double left_ms = m_options.timeout_s * 1000 - waited_s() * 1000;
    return std::clamp(static_cast<int>(left_ms) + 1, 0, k_redraw_ms);
  }
  bool timed_out() const { return m_options.timeout_s > 0 && waited_s() >= m_options.timeout_s; }
  double waited_s() const {
    return std::chrono::duration<double>(Clock::now() - m_started).count();
  }

  int m_fd;
  const ClusterWaitOptions& m_options;
  WaitDisplay& m_display;
  const Clock::time_point m_started;
  std::string m_pending;
  std::size_t m_ahead = 0;
  bool m_shown = false;
};

}  // namespace

ClusterWait wait_for_cluster_turn(int report_fd, const ClusterWaitOptions& options,
                                  WaitDisplay& display) {
  return ClusterWaitLoop(report_fd, options, display).run();
}

std::string cluster_waiting_line(const std::string& queue, std::size_t ahead) {
  return "vq: waiting for the cluster queue \"" + display_text(queue) +
         "\": " + std::to_string(ahead) + " ahead";
}

std::string cluster_gave_up_line(const std::string& queue, const ClusterWait& wait) {
  return "vq: gave up after " + format_seconds(wait.waited_s) +
         " waiting for the cluster queue \"" + display_text(queue) +
         "\": " + std::to_string(wait.ahead) +
         " ahead — raise VQ_QUEUE_TIMEOUT (0 waits forever) or try again later";
}

}  // namespace vq
