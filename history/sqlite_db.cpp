#include "sqlite_db.h"

#include <sqlite3.h>

namespace vq::history {

SqlFailure classify(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return SqlFailure::none;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return SqlFailure::corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return SqlFailure::busy;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return SqlFailure::read_only;
    default:
      return SqlFailure::other;
  }
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_statement(other.m_statement) {
  other.m_statement = nullptr;
}

Statement::~Statement() {
  sqlite3_finalize(m_statement);
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_statement, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(m_statement, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value) return bind(index, *value);
  sqlite3_bind_null(m_statement, index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  if (value) return bind(index, std::string_view(*value));
  sqlite3_bind_null(m_statement, index);
  return *this;
}

Statement& Statement::bind_real(int index, double value) {
  sqlite3_bind_double(m_statement, index, value);
  return *this;
}

int Statement::step() {
  return sqlite3_step(m_statement);
}

void Statement::reset() {
  sqlite3_reset(m_statement);
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(m_statement, column);
}

std::optional<std::int64_t> Statement::maybe_integer(int column) const {
  if (sqlite3_column_type(m_statement, column) == SQLITE_NULL) return std::nullopt;
  return integer(column);
}

double Statement::real(int column) const {
  return sqlite3_column_double(m_statement, column);
}

std::string Statement::text(int column) const {
  const unsigned char* text = sqlite3_column_text(m_statement, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column)));
}

void SqliteDb::Close::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

Result<SqliteDb> SqliteDb::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
  int code = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  SqliteDb opened(db, path);
  if (code != SQLITE_OK) {
    opened.m_last_code = code;
    return opened.error("cannot open the history database");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return opened;
}

int SqliteDb::exec(const char* sql) {
  m_last_code = sqlite3_exec(m_db.get(), sql, nullptr, nullptr, nullptr);
  return m_last_code;
}

std::optional<Statement> SqliteDb::prepare(const char* sql) {
  sqlite3_stmt* statement = nullptr;
  m_last_code = sqlite3_prepare_v2(m_db.get(), sql, -1, &statement, nullptr);
  if (m_last_code != SQLITE_OK) return std::nullopt;
  return Statement(m_db.get(), statement);
}

int SqliteDb::last_code() const {
  return m_last_code;
}

Error SqliteDb::error(const std::string& what, int code) const {
  const char* message = m_db ? sqlite3_errmsg(m_db.get()) : sqlite3_errstr(code);
  ErrorKind kind = classify(code) == SqlFailure::busy ? ErrorKind::lock_busy : ErrorKind::system;
  return Error::of_kind(kind, what + " " + m_path + ": " + message);
}

bool SqliteDb::read_only() const {
  return sqlite3_db_readonly(m_db.get(), "main") == 1;
}

std::int64_t SqliteDb::last_row_id() const {
  return sqlite3_last_insert_rowid(m_db.get());
}

}  // namespace vq::history
