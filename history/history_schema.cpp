#include "history_schema.h"

#include <sqlite3.h>

#include <charconv>
#include <string>

namespace vq::history {
namespace {

// Version 1. Times are unix epoch milliseconds, memory in bytes, CPU in milliseconds.
constexpr const char* k_create_v1 = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  queue_dir TEXT NOT NULL,
  host TEXT NOT NULL,
  agent TEXT NOT NULL,
  cwd TEXT NOT NULL,
  project TEXT NOT NULL,
  command TEXT NOT NULL,
  vitest_version TEXT NOT NULL,
  priority INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  queued_at_ms INTEGER NOT NULL,
  admitted_at_ms INTEGER,
  ended_at_ms INTEGER NOT NULL,
  peak_memory_bytes INTEGER,
  peak_is_rss INTEGER NOT NULL,
  cpu_time_ms INTEGER,
  end_kind TEXT NOT NULL,
  end_code INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_end ON runs (ended_at_ms);
CREATE INDEX IF NOT EXISTS runs_by_project ON runs (project, ended_at_ms);
CREATE INDEX IF NOT EXISTS runs_by_agent ON runs (agent, ended_at_ms);
CREATE TABLE IF NOT EXISTS counters (
  family TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (family, labels)) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

// Version 2: the run's cluster permit (issue 19): "" no cluster, held, lost, local-only.
constexpr const char* k_migrate_v2 = R"sql(
ALTER TABLE runs ADD COLUMN cluster_permit TEXT NOT NULL DEFAULT '';
UPDATE meta SET value = '2' WHERE key = 'schema_version';
)sql";

// The version the file says it has; 0 for a file without the meta table (a new one).
Result<int> stored_version(SqliteDb& db) {
  auto has_meta = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'meta'");
  if (!has_meta) return db.error("cannot read the schema of the history database");
  int code = has_meta->step();
  if (code != SQLITE_ROW) return db.error("cannot read the schema of the history database", code);
  if (has_meta->integer(0) == 0) return 0;
  auto version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!version) return db.error("cannot read the schema version of the history database");
  code = version->step();
  if (code == SQLITE_DONE) return 0;
  if (code != SQLITE_ROW)
    return db.error("cannot read the schema version of the history database", code);
  std::string text = version->text(0);
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return Error::of_kind(ErrorKind::damaged_table,
                          "the history database's schema version '" + text + "' is not a number");
  }
  return number;
}

// Brings a file of `version` (0: new) to this vq's, one step per version.
int migrate_from(SqliteDb& db, int version) {
  int code = SQLITE_OK;
  if (version < 1) code = db.exec(k_create_v1);
  if (code == SQLITE_OK && version < 2) code = db.exec(k_migrate_v2);
  return code;
}

// Under the write lock the version is read again: another process may have brought the file
// forward between our first read and the lock (ALTER TABLE is not idempotent).
Result<void> create(SqliteDb& db) {
  int code = db.exec("BEGIN IMMEDIATE");
  if (code == SQLITE_OK) {
    auto version = stored_version(db);
    if (!version) {
      db.exec("ROLLBACK");
      return version.error();
    }
    if (*version < k_schema_version) code = migrate_from(db, *version);
  }
  if (code == SQLITE_OK) code = db.exec("COMMIT");
  if (code == SQLITE_OK) return {};
  Error error = db.error("cannot create the tables of the history database", code);
  db.exec("ROLLBACK");
  return error;
}

}  // namespace

Result<void> ensure_schema(SqliteDb& db) {
  VQ_TRY_ASSIGN(version, stored_version(db));
  if (*version == k_schema_version) return {};
  if (*version > k_schema_version) {
    return Error::of_kind(ErrorKind::damaged_table,
                          "the history database has schema version " + std::to_string(*version) +
                              ", newer than this vq's " + std::to_string(k_schema_version) +
                              ": use the newer vq, or set VQ_HISTORY to another file");
  }
  // Version 0 (new file) and older versions are brought forward here.
  return create(db);
}

}  // namespace vq::history
