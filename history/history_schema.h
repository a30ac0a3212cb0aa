// The history database's schema, versioned: the version in the `meta` table says which tables
// and columns a file has (docs/HISTORY.md lists them and the version rules).
#pragma once

#include "result.h"
#include "sqlite_db.h"

namespace vq::history {

inline constexpr int k_schema_version = 2;

// Makes `db` a history database of this version: creates the tables in a new (empty) file,
// migrates an older version forward, and refuses a newer version (a newer vq wrote it; this
// one would not know what its rows mean). Reads first, and takes the write lock only when
// something is to be created.
Result<void> ensure_schema(SqliteDb& db);

}  // namespace vq::history
