#include "watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "display_text.h"
#include "exit_codes.h"
#include "status_report.h"

namespace vq::admin {
namespace {

constexpr const char* k_hide_cursor = "\x1b[?25l";
constexpr const char* k_show_cursor = "\x1b[?25h";
constexpr const char* k_home = "\x1b[H";
constexpr const char* k_clear_screen = "\x1b[2J";
constexpr const char* k_clear_line_end = "\x1b[K";
constexpr const char* k_clear_below = "\x1b[J";

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int terminal_rows(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 2) return size.ws_row;
  return 0;  // unknown: no cut
}

std::string frame_text(QueueStore& queue, const WatchOptions& options, ProcessSnapshot& before) {
  std::string text;
  auto report = collect_status(queue, std::chrono::milliseconds(1000));
  // `before` may lack a run admitted since: its CPU over the interval shows as unknown once.
  ProcessSnapshot now =
      ProcessSnapshot::take_trees(report ? active_pids(*report) : std::vector<pid_t>{});
  if (report) {
    add_usage(*report, now, &before);
    add_live_figures(*report, queue.dir());
    add_cluster_status(*report, options.cluster);
    report->leftovers = find_leftovers();
    text = render_status_text(*report, options.style);
  } else {
    text = "vq-admin: cannot read the queue: " + display_text(report.error().message) + "\n";
  }
  before = std::move(now);
  return "Every " + std::to_string(options.interval.count()) + " ms (Ctrl-C to stop)  " +
         format_local_time(wall_ms()) + "\n" + text;
}

// Home, then every line followed by clear-to-end-of-line, then clear below: each character is
// overwritten in place, nothing blanks first.
std::string in_place(const std::string& frame, int rows) {
  std::vector<std::string> lines;
  std::istringstream stream(frame);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  if (rows > 0 && static_cast<int>(lines.size()) > rows - 1) {
    std::size_t hidden = lines.size() - static_cast<std::size_t>(rows - 2);
    lines.resize(static_cast<std::size_t>(rows - 2));
    lines.push_back("… " + std::to_string(hidden) + " more lines (enlarge the terminal)");
  }
  std::string out = k_home;
  for (const std::string& line : lines) out += line + k_clear_line_end + "\n";
  return out + k_clear_below;
}

}  // namespace

int watch_status(QueueStore& queue, const WatchOptions& options) {
  sigset_t stops, saved;
  sigemptyset(&stops);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stops, signal);
  ::sigprocmask(SIG_BLOCK, &stops, &saved);
  int signal_fd = ::signalfd(-1, &stops, SFD_CLOEXEC);
  // Without a signalfd, blocked signals could not end the watch: leave them deadly.
  if (signal_fd < 0) ::sigprocmask(SIG_SETMASK, &saved, nullptr);

  if (options.terminal) write_all(options.out_fd, std::string(k_hide_cursor) + k_clear_screen);
  // The first frame's CPU figures need a sample too.
  ProcessSnapshot before = ProcessSnapshot::take();
  ::poll(nullptr, 0, 200);
  bool first = true;
  for (;;) {
    std::string frame = frame_text(queue, options, before);
    bool written = options.terminal
                       ? write_all(options.out_fd, in_place(frame, terminal_rows(options.out_fd)))
                       : write_all(options.out_fd, (first ? "" : "\n") + frame);
    first = false;
    if (!written) break;  // the reader went away
    pollfd fd{signal_fd, POLLIN, 0};
    int ready = ::poll(&fd, signal_fd >= 0 ? 1 : 0, static_cast<int>(options.interval.count()));
    if (ready > 0) {
      // Consumed here, or it would still be pending, and deadly, once the mask is restored.
      signalfd_siginfo info{};
      ssize_t ignored = ::read(signal_fd, &info, sizeof info);
      (void)ignored;
      break;
    }
  }
  if (options.terminal) write_all(options.out_fd, k_show_cursor);
  if (signal_fd >= 0) ::close(signal_fd);
  ::sigprocmask(SIG_SETMASK, &saved, nullptr);
  return k_exit_ok;
}

}  // namespace vq::admin
