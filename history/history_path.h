// Where the run history lives: a place that survives a reboot (never /tmp), private to the user
// or shared by a group as the queue is.
#pragma once

#include <string>

#include "config.h"
#include "result.h"

namespace vq::history {

inline constexpr const char* k_history_file = "history.sqlite";
// Group mode's history directory: this prefix and the group's gid. /var/tmp survives reboots
// (FHS) and, like /tmp, lets a member create the group's directory without root.
inline constexpr const char* k_group_history_dir_prefix = "/var/tmp/vq-g";

struct HistoryPlace {
  std::string path;     // the database file
  std::string warning;  // why the group's place was not used; "" when nothing is to be said
};

// VQ_HISTORY as given; else, in group mode (VQ_GROUP), /var/tmp/vq-g<gid>/history.sqlite in a
// directory with the group queue directory's rules (3770 of the group, checked), falling back
// to the private place with a warning when that cannot be used; else the private place,
// $XDG_STATE_HOME/vq/history.sqlite (default ~/.local/state/vq), its directory 0700. Creates
// the directory, not the file (HistoryStore::open does).
Result<HistoryPlace> history_place(const Config& config);

}  // namespace vq::history
