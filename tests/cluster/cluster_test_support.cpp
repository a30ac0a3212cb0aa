#include "cluster_test_support.h"

#include <poll.h>

namespace vq::test {

std::string read_line(int fd, std::chrono::milliseconds limit) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return line;
    char c = 0;
    if (::read(fd, &c, 1) != 1 || c == '\n') return line;
    line += c;
  }
}

void write_line(int fd, const std::string& line) {
  std::string text = line + "\n";
  [[maybe_unused]] auto written = ::write(fd, text.data(), text.size());
}

}  // namespace vq::test
