#include "serve_controls.h"

#include "priority_control.h"
#include "queue_control.h"
#include "waiter_cancel.h"

namespace vq::admin {
namespace {

using dashboard::Actor;
using dashboard::Control;
using Args = std::map<std::string, long>;

Result<std::string> pause_or_resume(QueueStore& queue, bool paused,
                                    std::chrono::milliseconds lock_wait, const Actor& actor) {
  auto change = set_paused(queue, paused, lock_wait, actor.describe());
  if (!change) return change.error();
  if (change->old_paused == paused) {
    return std::string("Admission was already ") + (paused ? "paused." : "running.");
  }
  return std::string(paused ? "Admission paused: running holders finish, waiters keep their place."
                            : "Admission resumed.");
}

Result<std::string> change_limit(QueueStore& queue, long limit, std::chrono::milliseconds lock_wait,
                                 const Actor& actor) {
  if (limit < 1 || limit > k_max_limit) {
    return Error::of_kind(ErrorKind::bad_config, "limit " + std::to_string(limit) +
                                                     " is out of range — give a whole number "
                                                     "from 1 to " +
                                                     std::to_string(k_max_limit));
  }
  auto change = set_limit(queue, static_cast<int>(limit), lock_wait, actor.describe());
  if (!change) return change.error();
  return "Limit " + std::to_string(change->old_limit) + " → " + std::to_string(change->new_limit) +
         ".";
}

// `level` as VQ_PRIORITY numbers it (0 low, 1 normal, 2 high); urgent is its own control.
Result<std::string> change_priority(QueueStore& queue, long pid, long level,
                                    std::chrono::milliseconds lock_wait, const Actor& actor) {
  if (level < 0 || level > static_cast<long>(Priority::high)) {
    return Error::of_kind(ErrorKind::bad_config, "level " + std::to_string(level) +
                                                     " is out of range — give 0 (low), 1 "
                                                     "(normal) or 2 (high)");
  }
  auto change = set_waiter_priority(queue, static_cast<pid_t>(pid), static_cast<Priority>(level),
                                    lock_wait, actor.describe());
  if (!change) return change.error();
  return "PID " + std::to_string(pid) + ": " + std::string(priority_name(change->old_level)) +
         " → " + std::string(priority_name(change->new_level)) + ", now " +
         std::to_string(change->new_position) + " in line.";
}

}  // namespace

std::vector<Control> queue_controls(QueueStore& queue, std::chrono::milliseconds lock_wait) {
  QueueStore* q = &queue;
  return {
      {"pause",
       "Pause",
       Control::Target::queue,
       {},
       [q, lock_wait](const Args&, const Actor& actor) {
         return pause_or_resume(*q, true, lock_wait, actor);
       }},
      {"resume",
       "Resume",
       Control::Target::queue,
       {},
       [q, lock_wait](const Args&, const Actor& actor) {
         return pause_or_resume(*q, false, lock_wait, actor);
       }},
      {"limit",
       "Set limit",
       Control::Target::queue,
       {"limit"},
       [q, lock_wait](const Args& args, const Actor& actor) {
         return change_limit(*q, args.at("limit"), lock_wait, actor);
       }},
      {"priority",
       "Set priority",
       Control::Target::waiter,
       {"pid", "level"},
       [q, lock_wait](const Args& args, const Actor& actor) {
         return change_priority(*q, args.at("pid"), args.at("level"), lock_wait, actor);
       }},
      {"urgent",
       "Urgent",
       Control::Target::waiter,
       {"pid"},
       [q, lock_wait](const Args& args, const Actor& actor) -> Result<std::string> {
         auto change = set_waiter_priority(*q, static_cast<pid_t>(args.at("pid")), Priority::urgent,
                                           lock_wait, actor.describe());
         if (!change) return change.error();
         return "PID " + std::to_string(args.at("pid")) + " is next in line.";
       }},
      {"cancel",
       "Cancel",
       Control::Target::waiter,
       {"pid"},
       [q, lock_wait](const Args& args, const Actor& actor) {
         return cancel_waiter(*q, static_cast<pid_t>(args.at("pid")), lock_wait, actor.describe());
       }},
  };
}

}  // namespace vq::admin
