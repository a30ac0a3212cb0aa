// Survives a mapped file shrinking under us. Another process may truncate the table file while
// we have it mapped (a group member, a tool, a test); touching a page past the new end raises
// SIGBUS, which would kill a shim waiting for a slot. While a range is guarded, a SIGBUS inside
// it replaces the whole range with private zero pages (the access is then retried and reads
// zeros, which is a blank table) and marks it lost; the owner maps the file again on its next
// pass (SlotTable::recover). A SIGBUS anywhere else keeps its default action.
#pragma once

#include <cstddef>

namespace vq {

// Installs the SIGBUS handler on first use. At most a few ranges at once (a process maps one
// table; tests map several); returns false when there is no room, leaving the range unguarded.
bool guard_mapping(void* start, std::size_t size);
void unguard_mapping(void* start);

// Whether the range lost its file since the last call; clears the mark.
bool take_mapping_lost(void* start);

}  // namespace vq
