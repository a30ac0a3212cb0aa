#include "queue_control.h"

#include "wake_signal.h"

namespace vq::admin {
namespace {

template <typename Change>
Result<HeaderChange> change_header(Queue& queue, std::chrono::milliseconds lock_wait,
                                   Change change) {
  HeaderChange result;
  {
    auto guard = queue.locks().lock_update(lock_wait);
    if (!guard) return guard.error();
    TableHeader& header = queue.table().table().header;
    if (HeaderCheck check = check_header(header); check != HeaderCheck::valid) {
      return damaged_table_error(queue, check);
    }
    result.old_limit = static_cast<int>(header.limit);
    result.old_paused = header.paused == 1;
    change(header);
    result.new_limit = static_cast<int>(header.limit);
    result.new_paused = header.paused == 1;
  }
  wake_waiters(queue.dir());
  return result;
}

}  // namespace

Error damaged_table_error(const Queue& queue, HeaderCheck check) {
  return Error{"slot table " + queue.dir().file(k_table_file) + " is " +
               std::string(describe(check)) + " — run `vq-admin reset` to rebuild it"};
}

Result<HeaderChange> set_limit(Queue& queue, int limit, std::chrono::milliseconds lock_wait) {
  if (limit < 1 || limit > k_max_limit) {
    return Error{"limit " + std::to_string(limit) +
                 " is out of range — give a whole number from 1 to " + std::to_string(k_max_limit)};
  }
  auto change = change_header(queue, lock_wait, [&](TableHeader& header) {
    header.limit = static_cast<std::uint32_t>(limit);
  });
  if (change) {
    queue.log().info("vq-admin", "limit-changed",
                     "from=" + std::to_string(change->old_limit) + " to=" + std::to_string(limit));
  }
  return change;
}

Result<HeaderChange> set_paused(Queue& queue, bool paused, std::chrono::milliseconds lock_wait) {
  auto change =
      change_header(queue, lock_wait, [&](TableHeader& header) { header.paused = paused ? 1 : 0; });
  if (change && change->old_paused != paused) {
    queue.log().info("vq-admin", paused ? "paused" : "resumed");
  }
  return change;
}

}  // namespace vq::admin
