// A thin owner of one SQLite connection and its prepared statements: closes what it opens, and
// turns SQLite's result codes into vq's Error values with the database's own message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vq::history {

// What kind of SQLite failure this is, so the store can choose: rebuild, report, or give up.
enum class SqlFailure { none, corrupt, busy, read_only, other };
SqlFailure classify(int sqlite_code);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* statement) : m_db(db), m_statement(statement) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQL's `?`.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind_real(int index, double value);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  void reset();
  std::int64_t integer(int column) const;
  std::optional<std::int64_t> maybe_integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_statement;
};

class SqliteDb {
 public:
  // Opens an existing file read-write (never through a symlink) with a busy timeout.
  static Result<SqliteDb> open(const std::string& path, int busy_timeout_ms);

  // Runs statements that return no rows; the SQLite code (SQLITE_OK on success).
  int exec(const char* sql);
  // nullopt when the SQL cannot be prepared; last_code() says why.
  std::optional<Statement> prepare(const char* sql);
  int last_code() const;
  // "<what> <path>: <SQLite's message>", of the last call's code or of `code`.
  Error error(const std::string& what) const { return error(what, m_last_code); }
  Error error(const std::string& what, int code) const;
  bool read_only() const;
  std::int64_t last_row_id() const;

 private:
  explicit SqliteDb(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Close> m_db;
  std::string m_path;
  int m_last_code = 0;
};

}  // namespace vq::history
