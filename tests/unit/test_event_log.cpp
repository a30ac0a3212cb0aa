#include "event_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "queue_dir.h"
#include "queue_event.h"
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

// The history's writer prints nothing: a record it could not write is a warning in the log.
TEST(EventLog, AHistoryWriteFailureIsLoggedAsAWarningWithItsReason) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  {
    EventLog log = open_event_log(*dir, "info");
    QueueEvent event(EventType::history_failed, "agent-3");
    event.detail = "history database /h is read-only";
    log_event(log, event);
  }
  std::string text = read_file(dir->file(k_log_file));
  EXPECT_NE(text.find(" warning pid=" + std::to_string(::getpid()) +
                      " agent=agent-3 event=history-failed history database /h is read-only\n"),
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

// `count` processes each open the log, wait until all have, then append `lines` events: a
// burst of launches that all found the log at the rotation size before any of them wrote.
void burst_of_launches(const QueueDir& dir, int count, int lines) {
  int opened[2], go[2];
  ASSERT_EQ(::pipe(opened), 0);
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < count; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(opened[0]);
      ::close(go[1]);
      EventLog log = open_event_log(dir, "info");
      char byte = 'o';
      if (::write(opened[1], &byte, 1) != 1) ::_exit(2);
      while (::read(go[0], &byte, 1) > 0) {
      }  // EOF: every launch has opened the log
      for (int line = 0; line < lines; ++line) {
        log.info("agent-" + std::to_string(i), "admitted", "burst=" + std::to_string(line));
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  ::close(opened[1]);
  ::close(go[0]);
  char byte;
  for (int i = 0; i < count; ++i) ASSERT_EQ(::read(opened[0], &byte, 1), 1);
  ::close(go[1]);
  ::close(opened[0]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t found = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++found;
  return found;
}

TEST(EventLog, ABurstAtTheRotationSizeRotatesOnceAndKeepsEveryLineInPrivateFiles) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  auto old_log = [&](int n) { return tmp / ("queue/vitest-queue." + std::to_string(n) + ".log"); };
  std::string live_history;
  while (live_history.size() < k_rotation_bytes) live_history += "history-live\n";
  const std::string live = dir->file(k_log_file);
  for (auto [path, text] : {std::pair{live, live_history},
                            {old_log(1), "history-1\n"},
                            {old_log(2), "history-2\n"},
                            {old_log(3), "history-3\n"}}) {
    std::ofstream(path) << text;
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  constexpr int k_launches = 12, k_lines = 5;
  burst_of_launches(*dir, k_launches, k_lines);

  std::string all;
  for (const std::string& path : {live, old_log(1), old_log(2), old_log(3)}) {
    all += read_file(path);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  EXPECT_EQ(count_of(all, "event=admitted"), std::size_t{k_launches * k_lines})
      << "lines of the burst were lost";
  EXPECT_EQ(count_of(all, "history-live\n"), count_of(live_history, "history-live\n"));
  EXPECT_EQ(count_of(all, "history-1\n"), 1u) << "one rotation keeps three old files";
  EXPECT_EQ(count_of(all, "history-2\n"), 1u);
  EXPECT_EQ(count_of(all, "history-3\n"), 0u) << "one rotation drops the oldest file";
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
