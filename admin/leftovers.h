// Leftovers: processes of a run that ended but are still alive (a worker or server the run left
// behind). Every process of a holder's tree carries VQ_HOLDER=<pid:start> in its environment
// (core/process_identity), so they are found through /proc/*/environ of the caller's processes
// whose holder is gone, whether or not the run had a watcher.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "process_identity.h"

namespace vq::admin {

struct Leftover {
  pid_t pid = 0;
  pid_t process_group = 0;
  ProcessIdentity holder;  // the ended run it belonged to
  std::string command;     // its command line, cut to 200 bytes, arguments joined by spaces
};

// The caller's processes (same real uid) whose VQ_HOLDER names a run that has ended (gone, a
// zombie, or its pid reused). In pid order.
std::vector<Leftover> find_leftovers(const std::string& proc = "/proc");

// How `cleanup --orphans` ends them: a process group whose every member is a leftover gets
// SIGTERM as a group; a leftover sharing its group with anything else gets it alone.
struct EndingPlan {
  std::vector<pid_t> groups;
  std::vector<pid_t> processes;
};
EndingPlan plan_ending(const std::vector<Leftover>& leftovers, const std::string& proc = "/proc");

}  // namespace vq::admin
