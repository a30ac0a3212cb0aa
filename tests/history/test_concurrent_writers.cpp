// Many writers at once, as real processes: every run gets its row, and a file found unreadable
// by several of them is moved aside exactly once. The observer reads the file with SQLite
// itself, not through the store.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Outcome {
  int failed = 0;
  int rebuilt = 0;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "vq-history-XXXXXX").string();
    m_path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  std::string operator/(const std::string& name) const { return m_path + "/" + name; }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

// Starts `count` writers that all wait on one pipe, then lets them go at the same moment.
Outcome run_writers(const std::string& db, int count) {
  int gate[2];
  if (::pipe(gate) != 0) return {count, 0};
  std::vector<std::pair<pid_t, int>> writers;
  for (int i = 0; i < count; ++i) {
    int out[2];
    if (::pipe(out) != 0) break;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char byte;
      (void)!::read(gate[0], &byte, 1);  // EOF when the parent closes the gate
      ::dup2(out[1], STDOUT_FILENO);
      std::string agent = "writer-" + std::to_string(i);
      ::execl(VQ_HISTORY_WRITER, VQ_HISTORY_WRITER, db.c_str(), agent.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    writers.emplace_back(pid, out[0]);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  Outcome outcome;
  for (auto [pid, out] : writers) {
    char said[64] = {};
    (void)!::read(out, said, sizeof said - 1);
    ::close(out);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++outcome.failed;
    if (std::string(said).starts_with("rebuilt")) ++outcome.rebuilt;
  }
  return outcome;
}

long long count_of(const std::string& db, const char* sql) {
  sqlite3* handle = nullptr;
  long long value = -1;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(handle, sql, -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(handle);
  return value;
}

TEST(HistoryWriters, FiftyWritersAtOnceOnANewFileLeaveFiftyRows) {
  TempDir dir;
  std::string db = dir / "history.sqlite";
  Outcome outcome = run_writers(db, 50);
  EXPECT_EQ(outcome.failed, 0);
  EXPECT_EQ(count_of(db, "SELECT count(*) FROM runs"), 50);
  EXPECT_EQ(count_of(db, "SELECT count(DISTINCT agent) FROM runs"), 50);
  EXPECT_EQ(count_of(db, "SELECT count(DISTINCT pid) FROM runs"), 50);
}

TEST(HistoryWriters, WritersMeetingACorruptFileTogetherMoveItAsideOnce) {
  TempDir dir;
  std::string db = dir / "history.sqlite";
  std::ofstream(db) << std::string(16384, 'x');
  Outcome outcome = run_writers(db, 20);
  EXPECT_EQ(outcome.failed, 0);
  EXPECT_EQ(outcome.rebuilt, 1) << "exactly one writer moves the file aside and warns";
  int moved = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::string name = entry.path().filename().string();
    if (name.find(".corrupt-") != std::string::npos && !name.ends_with("-wal") &&
        !name.ends_with("-shm")) {
      ++moved;
    }
  }
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(count_of(db, "SELECT count(*) FROM runs"), 20);
}

}  // namespace
