// The run history: one SQLite database (WAL mode) that many writers append to at once and
// vq-admin reads. A database that cannot be read is moved aside and started anew; one that is
// locked or read-only costs a writer at most a bounded moment and an error value, never a hang.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "history_file.h"
#include "result.h"
#include "run_record.h"
#include "sqlite_db.h"

namespace vq::history {

struct HistoryQuery {
  std::optional<std::string> project, agent;
  std::optional<std::int64_t> since_ms;  // runs that ended at or after this time
  int limit = 50;
};

// How much history is kept: rows older than max_age_ms or beyond the newest max_rows are
// pruned, checked on every prune_every-th append (so an append stays one insert).
struct Retention {
  std::int64_t max_age_ms = 90LL * 24 * 3600 * 1000;
  std::int64_t max_rows = 100000;
  std::int64_t prune_every = 100;
};

// One monotonic counter of the `counters` table (see run_tally.h).
struct CounterValue {
  std::string name;
  std::string labels;
  double value = 0;
};

// How long any write waits for another process's lock before it gives up.
inline constexpr int k_busy_timeout_ms = 1000;

class HistoryStore {
 public:
  // Opens (creating with the right mode/owner rules) the database at `path` in WAL mode; a
  // corrupt or truncated file is moved aside and started anew (the returned store says so:
  // `rebuilt()` / `warning()`).
  static Result<HistoryStore> open(const std::string& path);
  static Result<HistoryStore> open(const std::string& path, const Retention& retention);

  HistoryStore(HistoryStore&&) noexcept;
  HistoryStore& operator=(HistoryStore&&) noexcept;
  ~HistoryStore();

  // Bounded wait on a locked database (never blocks long). A file found unreadable here is
  // rebuilt as open() does, and the run appended to the new one.
  Result<void> append(const RunRecord& run);
  // Newest first (by end time).
  Result<std::vector<RunRecord>> query(const HistoryQuery& q) const;
  // Every counter, in name and label order.
  Result<std::vector<CounterValue>> counters() const;
  // Removes the rows the retention no longer keeps; append() calls it now and then.
  Result<void> prune();

  const std::string& path() const { return m_path; }
  // Whether this store moved an unreadable file aside and started anew.
  bool rebuilt() const { return m_rebuilt; }
  // What happened, ready for "vq: warning: …"; empty when nothing did.
  const std::string& warning() const { return m_warning; }

 private:
  HistoryStore(std::string path, Retention retention);
  Result<void> connect();
  Result<void> rebuild(const Error& reason);
  Result<void> recover(const Error& error);
  bool replaced() const;
  Result<void> insert(const RunRecord& run);
  Result<void> write_run(const RunRecord& run);
  // Success for SQLite's OK, ROW and DONE; else the error, its kind kept in m_failure.
  Result<void> checked(int code, const char* what) const;

  std::string m_path;
  Retention m_retention;
  FileIdentity m_identity;
  std::unique_ptr<SqliteDb> m_db;
  mutable SqlFailure m_failure = SqlFailure::none;
  std::int64_t m_last_row = 0;
  bool m_rebuilt = false;
  std::string m_warning;
};

// Where the history lives for this configuration: VQ_HISTORY, else the private or group default.
Result<std::string> history_path(const Config& config);

}  // namespace vq::history
