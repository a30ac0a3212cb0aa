// Runs to store in history tests, and an observer that reads the database with SQLite itself.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "run_record.h"

namespace vq::test {

inline history::RunRecord sample_run(std::int64_t ended_at_ms, const std::string& agent = "agent-1",
                                     const std::string& project = "/src/app") {
  history::RunRecord run;
  run.queue_dir = "/tmp/vq-test";
  run.host = "host";
  run.agent = agent;
  run.cwd = project + "/pkg";
  run.project = project;
  run.command = "vitest --run";
  run.vitest_version = "3.2.4";
  run.pid = 4242;
  run.queued_at_ms = ended_at_ms - 5000;
  run.admitted_at_ms = ended_at_ms - 4000;
  run.ended_at_ms = ended_at_ms;
  run.peak_memory_bytes = 300LL << 20;
  run.cpu_time_ms = 2500;
  run.end = history::RunEnd::exited;
  run.end_code = 0;
  return run;
}

// One integer from `sql` run on the file directly (not through HistoryStore); -1 on failure.
inline std::int64_t sql_integer(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::int64_t value = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

}  // namespace vq::test
