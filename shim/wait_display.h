// What a waiting run tells its user on stderr: on a terminal one live line, otherwise one line
// when waiting starts and one when admitted. Nothing at all when no wait happens.
#pragma once

#include <string>

#include "wait_session.h"

namespace vq {

// "pid 123 [agent-1, 42s]" for each holder, at most `max_shown`, then "+N more".
std::string describe_holders(const std::vector<Holder>& holders, std::size_t max_shown);

std::string waiting_line(const WaitSnapshot& snapshot);

// "7.3s": tenths, so a sub-second wait or timeout does not read as 0s.
std::string format_seconds(double seconds);

// The line a run that timed out leaves: how long it waited, who held the slots, the next step,
// and `log_path` when the queue keeps a log (group mode keeps none: pass "").
std::string gave_up_line(const Acquired& acquired, const std::string& log_path);

class WaitDisplay : public WaitObserver {
 public:
  WaitDisplay(int fd, bool live);

  void on_wait_start(const WaitSnapshot& snapshot) override;
  void on_progress(const WaitSnapshot& snapshot) override;
  void on_admitted(double waited_s) override;
  // Clears a live line before another message is printed (timeout, interrupt).
  void finish();
  // Another tier's wait (the cluster queue's) on the same line: its start (printed once when
  // stderr is not a terminal) and its updates (redrawn on a terminal only).
  void start_line(const std::string& line);
  void show_line(const std::string& line, double waited_s);

 private:
  void draw(const WaitSnapshot& snapshot);
  void draw(std::string line, double waited_s);
  void write_all(const std::string& text);

  int m_fd;
  bool m_live;
  bool m_drawn = false;
  std::string m_last;
};

}  // namespace vq
