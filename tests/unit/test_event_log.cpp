#include "event_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "queue_dir.h"
#include "temp_dir.h"

namespace vq {
namespace {

constexpr std::size_t k_rotation_bytes = 1024 * 1024;  // event_log.cpp's size

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The descriptors of this process open on `path`, and whether each is close-on-exec.
std::vector<bool> cloexec_of_descriptors_on(const std::string& path) {
  std::vector<bool> found;
  DIR* fds = ::opendir("/proc/self/fd");
  while (dirent* entry = fds != nullptr ? ::readdir(fds) : nullptr) {
    if (entry->d_name[0] == '.') continue;
    char target[4096];
    std::string link = std::string("/proc/self/fd/") + entry->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<std::size_t>(n)) == path) {
      found.push_back((::fcntl(std::atoi(entry->d_name), F_GETFD) & FD_CLOEXEC) != 0);
    }
  }
  if (fds != nullptr) ::closedir(fds);
  return found;
}

TEST(EventLog, AppendsOneLinePerEventWithTimeLevelPidAgentAndEvent) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  {
    EventLog log = open_event_log(*dir, "info");
    log.info("agent-1", "admitted", "slot=0");
    log.warn("agent-2", "queue-full");
  }
  std::string text = read_file(dir->file(k_log_file));
  EXPECT_NE(text.find(" info pid=" + std::to_string(::getpid()) +
                      " agent=agent-1 event=admitted slot=0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(" warning pid=" + std::to_string(::getpid()) + " agent=agent-2 event=queue-full\n"),
      std::string::npos)
      << text;
}

TEST(EventLog, TheLogIsCloseOnExecBelowAndAtTheRotationSize) {
  for (std::size_t size : {std::size_t{0}, k_rotation_bytes}) {
    test::TempDir tmp;
    auto dir = QueueDir::open(tmp / "queue");
    ASSERT_TRUE(dir) << dir.error().message;
    std::filesystem::resize_file(
        [&] {
          std::ofstream(dir->file(k_log_file));
          return dir->file(k_log_file);
        }(),
        size);
    EventLog log = open_event_log(*dir, "info");
    log.info("a", "admitted");
    std::vector<bool> cloexec = cloexec_of_descriptors_on(dir->file(k_log_file));
    ASSERT_EQ(cloexec.size(), 1u) << "log of " << size << " bytes";
    EXPECT_TRUE(cloexec[0]) << "vitest, which the shim execs, would inherit the log";
  }
}

TEST(EventLog, AFullLogIsRotatedByTheNextOpenerAndASmallerOneAppendedTo) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  const std::string path = dir->file(k_log_file);
  {
    std::ofstream out(path);
    out << std::string(k_rotation_bytes - 200, 'x') << "\n";
  }
  open_event_log(*dir, "info").info("a", "below-the-size");
  EXPECT_FALSE(std::filesystem::exists(tmp / "queue/vitest-queue.1.log"));
  std::filesystem::resize_file(path, k_rotation_bytes);  // now at the size
  open_event_log(*dir, "info").info("a", "at-the-size");
  ASSERT_TRUE(std::filesystem::exists(tmp / "queue/vitest-queue.1.log"));
  EXPECT_EQ(std::filesystem::file_size(tmp / "queue/vitest-queue.1.log"), k_rotation_bytes);
  std::string text = read_file(path);
  EXPECT_NE(text.find("event=at-the-size"), std::string::npos) << text;
  EXPECT_EQ(text.find('x'), std::string::npos) << "the old content went to vitest-queue.1.log";
}

TEST(EventLog, ControlCharactersFromUsersAreEscapedSoNoLineCanBeForged) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  open_event_log(*dir, "info")
      .info("a\x1b]0;owned\x07", "admitted",
            "slot=0 cwd=/tmp/x\n2024-01-01 00:00:00.000 info pid=1 agent=root event=admitted\x9b");
  std::string text = read_file(dir->file(k_log_file));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  for (unsigned char c : text) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c != 0x7f && c != 0x9b)) << int(c) << " in " << text;
  }
  EXPECT_NE(text.find("agent=a\\x1b]0;owned\\x07 event=admitted slot=0 cwd=/tmp/x\\n2024"),
            std::string::npos)
      << text;
}

TEST(EventLog, LevelOffWritesNothing) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  open_event_log(*dir, "off").warn("a", "refused");
  EXPECT_EQ(std::filesystem::file_size(dir->file(k_log_file)), 0u);
}

}  // namespace
}  // namespace vq
