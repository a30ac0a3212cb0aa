#include "history_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "history_schema.h"
#include "run_tally.h"
#include "sqlite_db.h"

namespace vq::history {
namespace {

constexpr const char* k_insert_run = R"sql(
INSERT INTO runs (queue_dir, host, agent, cwd, project, command, vitest_version, priority, pid,
                  queued_at_ms, admitted_at_ms, ended_at_ms, peak_memory_bytes, peak_is_rss,
                  cpu_time_ms, end_kind, end_code, cluster_permit)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql";

constexpr const char* k_add_counter = R"sql(
INSERT INTO counters (family, labels, value) VALUES (?, ?, ?)
ON CONFLICT (family, labels) DO UPDATE SET value = value + excluded.value)sql";

constexpr const char* k_select_runs = R"sql(
SELECT queue_dir, host, agent, cwd, project, command, vitest_version, priority, pid,
       queued_at_ms, admitted_at_ms, ended_at_ms, peak_memory_bytes, peak_is_rss,
       cpu_time_ms, end_kind, end_code, cluster_permit
FROM runs
WHERE (?1 IS NULL OR project = ?1) AND (?2 IS NULL OR agent = ?2) AND (?3 IS NULL OR ended_at_ms >= ?3)
ORDER BY ended_at_ms DESC, id DESC LIMIT ?4)sql";

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void bind_run(Statement& insert, const RunRecord& run) {
  insert.bind(1, run.queue_dir).bind(2, run.host).bind(3, run.agent).bind(4, run.cwd);
  insert.bind(5, run.project).bind(6, run.command).bind(7, run.vitest_version);
  insert.bind(8, std::int64_t{run.priority}).bind(9, std::int64_t{run.pid});
  insert.bind(10, run.queued_at_ms).bind(11, run.admitted_at_ms).bind(12, run.ended_at_ms);
  insert.bind(13, run.peak_memory_bytes).bind(14, std::int64_t{run.peak_is_rss});
  insert.bind(15, run.cpu_time_ms).bind(16, end_name(run.end));
  insert.bind(17, std::int64_t{run.end_code}).bind(18, run.cluster_permit);
}

RunRecord read_run(const Statement& row) {
  RunRecord run;
  run.queue_dir = row.text(0);
  run.host = row.text(1);
  run.agent = row.text(2);
  run.cwd = row.text(3);
  run.project = row.text(4);
  run.command = row.text(5);
  run.vitest_version = row.text(6);
  run.priority = static_cast<int>(row.integer(7));
  run.pid = static_cast<int>(row.integer(8));
  run.queued_at_ms = row.integer(9);
  run.admitted_at_ms = row.maybe_integer(10);
  run.ended_at_ms = row.integer(11);
  run.peak_memory_bytes = row.maybe_integer(12);
  run.peak_is_rss = row.integer(13) != 0;
  run.cpu_time_ms = row.maybe_integer(14);
  run.end = end_from_name(row.text(15));
  run.end_code = static_cast<int>(row.integer(16));
  run.cluster_permit = row.text(17);
  return run;
}

// SQLite needs to write the file, its directory (the -wal and -shm files) and the -shm file.
// Switching a new file to WAL needs an exclusive lock, and SQLite returns SQLITE_BUSY there
// without its busy handler when other connections are opening it at the same moment: retried
// here for as long as the busy timeout.
int step_patiently(Statement& statement) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(k_busy_timeout_ms);
  int code = statement.step();
  while (classify(code) == SqlFailure::busy && std::chrono::steady_clock::now() < deadline) {
    statement.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    code = statement.step();
  }
  return code;
}

Error read_only_error(const std::string& path, const Error& cause) {
  return Error{"history database " + path + " is read-only (" + cause.message +
               "): make it, its directory and its -shm file writable, or set VQ_HISTORY to "
               "another file"};
}

}  // namespace

HistoryStore::HistoryStore(std::string path, Retention retention)
    : m_path(std::move(path)), m_retention(retention) {}
HistoryStore::HistoryStore(HistoryStore&&) noexcept = default;
HistoryStore& HistoryStore::operator=(HistoryStore&&) noexcept = default;
HistoryStore::~HistoryStore() = default;

Result<HistoryStore> HistoryStore::open(const std::string& path) {
  return open(path, Retention{});
}

Result<HistoryStore> HistoryStore::open(const std::string& path, const Retention& retention) {
  HistoryStore store(path, retention);
  auto connected = store.connect();
  if (!connected) VQ_TRY(store.recover(connected.error()));
  return store;
}

Result<void> HistoryStore::checked(int code, const char* what) const {
  m_failure = classify(code);
  if (m_failure == SqlFailure::none) return {};
  return m_db->error(std::string(what), code);
}

// Opens the file as it is now, in WAL mode, with the schema of this version.
Result<void> HistoryStore::connect() {
  m_db.reset();
  m_failure = SqlFailure::none;
  VQ_TRY_ASSIGN(identity, ensure_database_file(m_path));
  m_identity = *identity;
  VQ_TRY_ASSIGN(db, SqliteDb::open(m_path, k_busy_timeout_ms));
  m_db = std::make_unique<SqliteDb>(std::move(*db));
  // WAL: readers never wait for the writer, and a writer's commit is one append to the log.
  // synchronous=NORMAL: a power loss may drop the last runs' rows, never corrupt the file.
  auto mode = m_db->prepare("PRAGMA journal_mode = WAL");
  auto opened =
      checked(mode ? step_patiently(*mode) : m_db->last_code(), "cannot open the history database");
  if (!opened && m_failure == SqlFailure::read_only) return read_only_error(m_path, opened.error());
  VQ_TRY(opened);
  if (mode->text(0) != "wal" || m_db->read_only())
    return read_only_error(m_path, Error{"read-only"});
  mode.reset();
  m_db->exec("PRAGMA synchronous = NORMAL");
  auto schema = ensure_schema(*m_db);
  if (!schema) m_failure = classify(m_db->last_code());
  return schema;
}

// A file replaced under this process (another one moved it aside between our check and
// SQLite's open) is simply opened again; a file that cannot be read is moved aside and started
// anew; every other failure is the caller's to report.
Result<void> HistoryStore::recover(const Error& error) {
  for (int attempt = 0; attempt < 3 && replaced(); ++attempt) {
    auto connected = connect();
    if (connected) return {};
    if (m_failure == SqlFailure::corrupt) return rebuild(connected.error());
  }
  if (m_failure != SqlFailure::corrupt) return error;
  return rebuild(error);
}

Result<void> HistoryStore::rebuild_if_unreadable(const Error& error) {
  if (m_failure != SqlFailure::corrupt) return error;
  return rebuild(error);
}

bool HistoryStore::replaced() const {
  struct stat now {};
  return ::lstat(m_path.c_str(), &now) != 0 || FileIdentity{now.st_dev, now.st_ino} != m_identity;
}

Result<void> HistoryStore::rebuild(const Error& reason) {
  m_db.reset();
  VQ_TRY_ASSIGN(moved, move_aside(m_path, m_identity, now_ms()));
  VQ_TRY(connect());
  if (moved->empty()) return {};  // another process moved it and warned
  m_rebuilt = true;
  m_warning = "the history database was unreadable (" + reason.message + "); moved it aside to " +
              *moved + " and started a new one";
  return {};
}

Result<void> HistoryStore::append(const RunRecord& run) {
  if (!m_db) {
    auto connected = connect();
    if (!connected) VQ_TRY(recover(connected.error()));
  }
  auto inserted = insert(run);
  if (!inserted) {
    VQ_TRY(recover(inserted.error()));
    VQ_TRY(insert(run));
  }
  if (m_retention.prune_every > 0 && m_last_row % m_retention.prune_every == 0) {
    // Pruning is upkeep: a busy database leaves it to a later append.
    (void)prune();
  }
  return {};
}

Result<void> HistoryStore::insert(const RunRecord& run) {
  VQ_TRY(checked(m_db->exec("BEGIN IMMEDIATE"), "cannot write to the history database"));
  auto written = write_run(run);
  if (written) written = checked(m_db->exec("COMMIT"), "cannot write to the history database");
  if (!written) m_db->exec("ROLLBACK");
  return written;
}

Result<void> HistoryStore::write_run(const RunRecord& run) {
  const char* what = "cannot write to the history database";
  auto statement = m_db->prepare(k_insert_run);
  if (!statement) return checked(m_db->last_code(), what);
  bind_run(*statement, run);
  VQ_TRY(checked(statement->step(), what));
  m_last_row = m_db->last_row_id();
  auto add = m_db->prepare(k_add_counter);
  if (!add) return checked(m_db->last_code(), what);
  for (const CounterDelta& delta : tally(run)) {
    add->bind(1, delta.name).bind(2, delta.labels);
    add->bind_real(3, delta.delta);
    VQ_TRY(checked(add->step(), what));
    add->reset();
  }
  return {};
}

Result<std::vector<RunRecord>> HistoryStore::query(const HistoryQuery& q) const {
  const char* what = "cannot read the history database";
  if (!m_db) return Error{std::string(what) + " " + m_path + ": it is not open"};
  auto select = m_db->prepare(k_select_runs);
  if (!select) return checked(m_db->last_code(), what).error();
  select->bind(1, q.project).bind(2, q.agent).bind(3, q.since_ms);
  select->bind(4, std::int64_t{q.limit});
  std::vector<RunRecord> runs;
  int code = 0;
  while ((code = select->step()) == SQLITE_ROW) runs.push_back(read_run(*select));
  VQ_TRY(checked(code, what));
  return runs;
}

Result<std::vector<CounterValue>> HistoryStore::counters() const {
  const char* what = "cannot read the counters of the history database";
  if (!m_db) return Error{std::string(what) + " " + m_path + ": it is not open"};
  auto select = m_db->prepare("SELECT family, labels, value FROM counters ORDER BY family, labels");
  if (!select) return checked(m_db->last_code(), what).error();
  std::vector<CounterValue> values;
  int code = 0;
  while ((code = select->step()) == SQLITE_ROW) {
    values.push_back({select->text(0), select->text(1), select->real(2)});
  }
  VQ_TRY(checked(code, what));
  return values;
}

Result<void> HistoryStore::prune() {
  const char* what = "cannot prune the history database";
  if (!m_db) return Error{std::string(what) + " " + m_path + ": it is not open"};
  // Age first, then the count of what is left; each an index range (ended_at_ms, id).
  auto too_old = m_db->prepare("DELETE FROM runs WHERE ended_at_ms < ?");
  if (!too_old) return checked(m_db->last_code(), what);
  too_old->bind(1, now_ms() - m_retention.max_age_ms);
  VQ_TRY(checked(too_old->step(), what));
  auto too_many = m_db->prepare("DELETE FROM runs WHERE id <= (SELECT max(id) FROM runs) - ?");
  if (!too_many) return checked(m_db->last_code(), what);
  too_many->bind(1, m_retention.max_rows);
  return checked(too_many->step(), what);
}

}  // namespace vq::history
