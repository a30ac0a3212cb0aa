#include "history_store.h"

#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "history_rows.h"
#include "history_schema.h"
#include "run_tally.h"
#include "temp_dir.h"

namespace vq::history {
namespace {

using test::sample_run;
using test::sql_integer;
using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int moved_aside_files(const std::string& dir) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("history.sqlite.corrupt-") && !name.ends_with("-wal") &&
        !name.ends_with("-shm")) {
      ++found;
    }
  }
  return found;
}

// Runs `body` in a child process and returns its exit status (-1: it did not exit).
int in_child(const std::function<int()>& body) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(body());
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_rows(const std::string& path, int rows) {
  auto store = HistoryStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  for (int i = 0; i < rows; ++i) {
    auto appended = store->append(sample_run(now_ms() - 1000 + i, "agent-" + std::to_string(i)));
    ASSERT_TRUE(appended.ok()) << appended.error().message;
  }
}

TEST(HistoryStore, AppendedRunsComeBackNewestFirstWithEveryField) {
  test::TempDir dir;
  auto store = HistoryStore::open(dir / "history.sqlite");
  ASSERT_TRUE(store.ok()) << store.error().message;
  RunRecord older = sample_run(now_ms() - 2000, "a");
  RunRecord newer = sample_run(now_ms() - 1000, "b");
  newer.admitted_at_ms.reset();
  newer.peak_memory_bytes.reset();
  newer.cpu_time_ms.reset();
  newer.peak_is_rss = true;
  newer.priority = 2;
  newer.end = RunEnd::wait_timed_out;
  ASSERT_TRUE(store->append(older).ok());
  ASSERT_TRUE(store->append(newer).ok());
  auto runs = store->query({});
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  const RunRecord& first = (*runs)[0];
  EXPECT_EQ(first.agent, "b");
  EXPECT_FALSE(first.admitted_at_ms.has_value());
  EXPECT_FALSE(first.peak_memory_bytes.has_value());
  EXPECT_FALSE(first.cpu_time_ms.has_value());
  EXPECT_TRUE(first.peak_is_rss);
  EXPECT_EQ(first.priority, 2);
  EXPECT_EQ(first.end, RunEnd::wait_timed_out);
  const RunRecord& second = (*runs)[1];
  EXPECT_EQ(second.queue_dir, older.queue_dir);
  EXPECT_EQ(second.host, older.host);
  EXPECT_EQ(second.cwd, older.cwd);
  EXPECT_EQ(second.project, older.project);
  EXPECT_EQ(second.command, older.command);
  EXPECT_EQ(second.vitest_version, older.vitest_version);
  EXPECT_EQ(second.pid, older.pid);
  EXPECT_EQ(second.queued_at_ms, older.queued_at_ms);
  EXPECT_EQ(second.admitted_at_ms, older.admitted_at_ms);
  EXPECT_EQ(second.ended_at_ms, older.ended_at_ms);
  EXPECT_EQ(second.peak_memory_bytes, older.peak_memory_bytes);
  EXPECT_EQ(second.cpu_time_ms, older.cpu_time_ms);
  EXPECT_EQ(second.end, RunEnd::exited);
}

TEST(HistoryStore, QueryFiltersByProjectAgentSinceAndLimit) {
  test::TempDir dir;
  auto store = HistoryStore::open(dir / "history.sqlite");
  ASSERT_TRUE(store.ok()) << store.error().message;
  std::int64_t now = now_ms();
  ASSERT_TRUE(store->append(sample_run(now - 3'600'000, "a", "/p1")).ok());
  ASSERT_TRUE(store->append(sample_run(now - 1000, "a", "/p2")).ok());
  ASSERT_TRUE(store->append(sample_run(now - 500, "b", "/p1")).ok());
  auto count = [&](std::optional<std::string> project, std::optional<std::string> agent,
                   std::optional<std::int64_t> since_ms) {
    HistoryQuery query;
    query.project = std::move(project);
    query.agent = std::move(agent);
    query.since_ms = since_ms;
    return store->query(query)->size();
  };
  EXPECT_EQ(count("/p1", {}, {}), 2u);
  EXPECT_EQ(count({}, "a", {}), 2u);
  EXPECT_EQ(count("/p1", "a", {}), 1u);
  EXPECT_EQ(count({}, {}, now - 60'000), 2u);
  HistoryQuery newest;
  newest.limit = 1;
  auto limited = store->query(newest);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].agent, "b");
}

TEST(HistoryStore, NewFileIsOwnerOnlyInWalModeWithItsSchemaVersion) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  ::umask(0);
  auto store = HistoryStore::open(path);
  ::umask(022);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE(store->append(sample_run(now_ms())).ok());
  struct stat file {};
  ASSERT_EQ(::stat(path.c_str(), &file), 0);
  EXPECT_EQ(file.st_mode & 07777, 0600u);
  EXPECT_EQ(sql_integer(path, "SELECT value FROM meta WHERE key = 'schema_version'"),
            k_schema_version);
  EXPECT_TRUE(std::filesystem::exists(path + "-wal")) << "a WAL-mode database keeps a -wal file";
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 1);
}

// A version 1 file as vq before issue 19 wrote it: its tables, one row, version 1.
void write_version_1_file(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE runs (id INTEGER PRIMARY KEY, queue_dir TEXT NOT NULL, host TEXT NOT NULL,
  agent TEXT NOT NULL, cwd TEXT NOT NULL, project TEXT NOT NULL, command TEXT NOT NULL,
  vitest_version TEXT NOT NULL, priority INTEGER NOT NULL, pid INTEGER NOT NULL,
  queued_at_ms INTEGER NOT NULL, admitted_at_ms INTEGER, ended_at_ms INTEGER NOT NULL,
  peak_memory_bytes INTEGER, peak_is_rss INTEGER NOT NULL, cpu_time_ms INTEGER,
  end_kind TEXT NOT NULL, end_code INTEGER NOT NULL);
CREATE TABLE counters (family TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (family, labels)) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO runs VALUES (1, '/tmp/q', 'box', 'old', '/p', '/p', 'vitest run', '3.2.4', 1, 77,
  1000, 2000, 3000, NULL, 0, NULL, 'exited', 0);
)sql";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(HistoryStore, AVersion1FileMigratesInPlaceKeepingItsRows) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  write_version_1_file(path);
  auto store = HistoryStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(sql_integer(path, "SELECT value FROM meta WHERE key = 'schema_version'"), 2);
  RunRecord lost = sample_run(now_ms(), "new");
  lost.cluster_permit = "lost";
  ASSERT_TRUE(store->append(lost).ok());
  auto runs = store->query({});
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].agent, "new");
  EXPECT_EQ((*runs)[0].cluster_permit, "lost");
  EXPECT_EQ((*runs)[1].agent, "old") << "the version 1 row survives the migration";
  EXPECT_EQ((*runs)[1].pid, 77);
  EXPECT_EQ((*runs)[1].cluster_permit, "") << "a row from before clusters has no permit";
}

TEST(HistoryStore, ConcurrentOpenersOfAVersion1FileMigrateItOnce) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  write_version_1_file(path);
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t child = ::fork();
    if (child == 0) {
      auto store = HistoryStore::open(path);
      ::_exit(store.ok() && store->append(sample_run(now_ms())).ok() ? 0 : 1);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 5);
  EXPECT_EQ(sql_integer(path, "SELECT value FROM meta WHERE key = 'schema_version'"), 2);
}

TEST(HistoryStore, AFileOfANewerSchemaIsLeftAloneWithAClearError) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  write_rows(path, 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr,
               nullptr);
  sqlite3_close(db);
  auto store = HistoryStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 1);
}

TEST(HistoryStore, ACorruptFileIsMovedAsideAndStartedAnewWithOneWarning) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  std::ofstream(path) << std::string(8192, 'x');
  auto store = HistoryStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(store->rebuilt());
  EXPECT_NE(store->warning().find(path + ".corrupt-"), std::string::npos) << store->warning();
  EXPECT_EQ(moved_aside_files(dir.path()), 1);
  ASSERT_TRUE(store->append(sample_run(now_ms())).ok());
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 1);
  auto again = HistoryStore::open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->rebuilt());
  EXPECT_EQ(again->warning(), "");
}

TEST(HistoryStore, ATruncatedFileIsMovedAsideWhenAWriterMeetsIt) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  write_rows(path, 300);  // closing checkpoints the WAL into the file
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  auto store = HistoryStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto appended = store->append(sample_run(now_ms()));
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  EXPECT_TRUE(store->rebuilt());
  EXPECT_NE(store->warning(), "");
  EXPECT_EQ(moved_aside_files(dir.path()), 1);
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 1);
}

// Root ignores file modes, so as root the directory is made read-only by a read-only bind mount
// in a private mount namespace of a child process; as anyone else, by its modes.
int append_to_read_only(const std::string& dir, const std::string& path) {
  if (::geteuid() == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
        ::mount(nullptr, dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      return 77;
    }
  } else {
    ::chmod(path.c_str(), 0400);
    ::chmod(dir.c_str(), 0500);
  }
  auto started = Clock::now();
  auto store = HistoryStore::open(path);
  Result<void> appended = store ? store->append(sample_run(now_ms())) : Result<void>(store.error());
  bool quick = Clock::now() - started < std::chrono::seconds(2);
  if (appended.ok() || !quick) return 1;
  if (appended.error().message.find("read-only") != std::string::npos) return 0;
  std::fprintf(stderr, "the error: %s\n", appended.error().message.c_str());
  return 2;
}

TEST(HistoryStore, AReadOnlyDatabaseFailsAWriterAtOnceWithAnErrorNamingIt) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  write_rows(path, 1);
  int status = in_child([&] { return append_to_read_only(dir.path(), path); });
  ::chmod(dir.path().c_str(), 0700);
  if (status == 77) GTEST_SKIP() << "cannot make a read-only bind mount here (no CAP_SYS_ADMIN)";
  EXPECT_EQ(status, 0) << "1: the append succeeded or took 2 s or more; 2: the error does not say "
                          "read-only";
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 1);
}

TEST(HistoryStore, ALockedDatabaseCostsAWriterAboutTheBusyTimeoutThenAnError) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  write_rows(path, 1);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t holder = ::fork();
  if (holder == 0) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
    (void)!::write(ready[1], "x", 1);
    ::sleep(30);
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  auto started = Clock::now();
  auto store = HistoryStore::open(path);
  ASSERT_TRUE(store.ok()) << "readers are not blocked by a WAL writer: " << store.error().message;
  auto appended = store->append(sample_run(now_ms()));
  auto took = Clock::now() - started;
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().kind, ErrorKind::lock_busy) << appended.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(k_busy_timeout_ms + 1500));
  EXPECT_FALSE(store->rebuilt());
  EXPECT_EQ(moved_aside_files(dir.path()), 0);
}

TEST(HistoryStore, RetentionPrunesByRowsAndAgeButCountersNeverGoDown) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  Retention retention{.max_age_ms = 3'600'000, .max_rows = 5, .prune_every = 1};
  auto store = HistoryStore::open(path, retention);
  ASSERT_TRUE(store.ok()) << store.error().message;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->append(sample_run(now_ms() - 10 + i)).ok());
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 5);
  std::int64_t two_hours_ago = now_ms() - 2 * 3'600'000;
  ASSERT_TRUE(store->append(sample_run(two_hours_ago)).ok());
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs WHERE ended_at_ms = " +
                                  std::to_string(two_hours_ago)),
            0)
      << "the run older than an hour";
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 5);
  auto counters = store->counters();
  ASSERT_TRUE(counters.ok()) << counters.error().message;
  double exited = -1;
  for (const CounterValue& counter : *counters) {
    if (counter.name == k_runs_total && counter.labels == "end=\"exited\"") exited = counter.value;
  }
  EXPECT_EQ(exited, 11);
}

TEST(HistoryStore, DefaultRetentionPrunesOnlyEveryHundredthAppend) {
  test::TempDir dir;
  std::string path = dir / "history.sqlite";
  auto store = HistoryStore::open(
      path, Retention{.max_age_ms = 1000, .max_rows = 100000, .prune_every = 100});
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 99; ++i) ASSERT_TRUE(store->append(sample_run(now_ms() - 60'000)).ok());
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 99);
  ASSERT_TRUE(store->append(sample_run(now_ms())).ok());
  EXPECT_EQ(sql_integer(path, "SELECT count(*) FROM runs"), 1);
}

}  // namespace
}  // namespace vq::history
