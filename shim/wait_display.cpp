#include "wait_display.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string_view>

#include "display_text.h"

namespace vq {
namespace {

std::size_t terminal_columns(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 10) return size.ws_col;
  return 80;
}

}  // namespace

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", seconds);
  return text;
}

std::string describe_holders(const std::vector<Holder>& holders, std::size_t max_shown) {
  std::string text;
  std::size_t shown = 0;
  for (const Holder& holder : holders) {
    if (shown == max_shown) {
      text += ", +" + std::to_string(holders.size() - shown) + " more";
      break;
    }
    if (shown > 0) text += ", ";
    text += "pid " + std::to_string(holder.pid);
    if (holder.has_record) {
      std::uint64_t now = wall_ms();
      long held =
          now > holder.admitted_ms ? static_cast<long>((now - holder.admitted_ms) / 1000) : 0;
      text += " [" + display_text(holder.agent) + ", " + std::to_string(held) + "s]";
    }
    ++shown;
  }
  return text;
}

// " (priority high)", " (priority low +1 age = normal)"; nothing for a plain normal waiter.
static std::string priority_text(const WaitSnapshot& snapshot) {
  if (snapshot.level == Priority::normal && snapshot.age_bonus == 0) return "";
  std::string text = " (priority " + std::string(priority_name(snapshot.level));
  if (snapshot.age_bonus > 0) {
    text += " +" + std::to_string(snapshot.age_bonus) +
            " age = " + std::string(priority_name(snapshot.effective));
  }
  return text + ")";
}

std::string waiting_line(const WaitSnapshot& snapshot) {
  if (snapshot.limit == 0) return "vq: waiting for a vitest slot: " + snapshot.note;
  std::string line = "vq: waiting for a vitest slot: #" + std::to_string(snapshot.position) +
                     " of " + std::to_string(snapshot.waiting) + " waiting" +
                     priority_text(snapshot) + ", ";
  if (snapshot.reason.block == WaitBlock::none) {
    line +=
        std::to_string(snapshot.holders.size()) + "/" + std::to_string(snapshot.limit) + " busy";
    if (snapshot.paused) line += ", queue paused";
  } else {
    line += describe(snapshot.reason);
  }
  if (!snapshot.holders.empty()) line += " (" + describe_holders(snapshot.holders, 3) + ")";
  if (!snapshot.note.empty()) line += "; " + display_text(snapshot.note);
  return line;
}

std::string gave_up_line(const Acquired& acquired, const std::string& log_path) {
  const WaitSnapshot& last = acquired.last;
  std::string line = "vq: gave up after " + format_seconds(acquired.waited_s) +
                     " waiting for a vitest slot; " + std::to_string(last.holders.size()) + "/" +
                     std::to_string(last.limit) + " busy";
  if (!last.holders.empty()) {
    line += ": " + describe_holders(last.holders, 16);
  } else if (last.paused) {
    line += " (queue paused)";
  }
  const WaitBlock block = last.reason.block;
  if (block == WaitBlock::memory || block == WaitBlock::pressure) {
    line += "; " + describe(last.reason);
  }
  if (!last.note.empty()) line += "; " + last.note;
  line += " — raise VQ_QUEUE_TIMEOUT (0 waits forever) or try again later";
  if (!log_path.empty()) line += "; log: " + log_path;
  return line;
}

WaitDisplay::WaitDisplay(int fd, bool live) : m_fd(fd), m_live(live) {}

void WaitDisplay::write_all(const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    // Never block on stderr (a full pipe, a terminal paused with Ctrl-S): a waiter stuck in a
    // write would miss its turn, its timeout and its signals. An unwritable line is dropped.
    pollfd ready{m_fd, POLLOUT, 0};
    if (::poll(&ready, 1, 0) != 1 || (ready.revents & POLLOUT) == 0) return;
    ssize_t n = ::write(m_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed stderr must not stop the run
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void WaitDisplay::draw(const WaitSnapshot& snapshot) {
  draw(waiting_line(snapshot), snapshot.waited_s);
}

void WaitDisplay::draw(std::string line, double waited_s) {
  // Seconds first: a line cut to the terminal's width still shows the clock moving.
  // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on `" " + std::string`.
  line.insert(std::string_view("vq: waiting").size(),
              std::string(" ").append(std::to_string(static_cast<long>(waited_s))).append("s"));
  // Longer than the terminal, the line would wrap and "\r" could no longer redraw it.
  std::size_t columns = terminal_columns(m_fd) - 1;
  if (line.size() > columns) line = line.substr(0, utf8_prefix_length(line, columns - 3)) + "...";
  if (line == m_last) return;
  m_last = line;
  write_all("\r\033[K" + line);
  m_drawn = true;
}

void WaitDisplay::on_wait_start(const WaitSnapshot& snapshot) {
  if (m_live) {
    draw(snapshot);
  } else {
    write_all(waiting_line(snapshot) + "\n");
  }
}

void WaitDisplay::start_line(const std::string& line) {
  if (m_live) {
    draw(line, 0);
  } else {
    write_all(line + "\n");
  }
}

void WaitDisplay::show_line(const std::string& line, double waited_s) {
  if (m_live) draw(line, waited_s);
}

void WaitDisplay::on_progress(const WaitSnapshot& snapshot) {
  // draw() writes only when the text changed: at most once a second, or on a real change.
  if (m_live) draw(snapshot);
}

void WaitDisplay::on_admitted(double waited_s) {
  finish();
  write_all("vq: admitted after " + format_seconds(waited_s) + "\n");
}

void WaitDisplay::finish() {
  if (m_live && m_drawn) write_all("\r\033[K");
  m_drawn = false;
}

}  // namespace vq
