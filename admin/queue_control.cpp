#include "queue_control.h"

#include "wake_signal.h"

namespace vq::admin {
namespace {

template <typename Change>
Result<HeaderChange> change_header(QueueStore& queue, std::chrono::milliseconds lock_wait,
                                   Change change) {
  HeaderChange result;
  {
    VQ_TRY_ASSIGN(pass, queue.update(lock_wait));
    if (HeaderCheck check = pass->header_check(); check != HeaderCheck::valid) {
      return damaged_table_error(queue, check);
    }
    result.old_limit = static_cast<int>(pass->header().limit);
    result.old_paused = pass->paused();
    change(*pass);
    result.new_limit = static_cast<int>(pass->header().limit);
    result.new_paused = pass->paused();
  }
  wake_waiters(queue.dir());
  return result;
}

}  // namespace

Error damaged_table_error(const QueueStore& queue, HeaderCheck check) {
  return Error::of_kind(ErrorKind::damaged_table, "slot table " + queue.dir().file(k_table_file) +
                                                      " is " + std::string(describe(check)) +
                                                      " — run `vq-admin reset` to rebuild it");
}

Result<HeaderChange> set_limit(QueueStore& queue, int limit, std::chrono::milliseconds lock_wait,
                               const std::string& who) {
  if (limit < 1 || limit > k_max_limit) {
    return Error::of_kind(ErrorKind::bad_config,
                          "limit " + std::to_string(limit) +
                              " is out of range — give a whole number from 1 to " +
                              std::to_string(k_max_limit));
  }
  auto change =
      change_header(queue, lock_wait, [&](QueueStore::Pass& pass) { pass.set_limit(limit); });
  if (change) {
    QueueEvent event{EventType::limit_changed, "vq-admin"};
    event.old_limit = change->old_limit;
    event.limit = limit;
    event.detail = who;
    queue.record(event);
  }
  return change;
}

Result<HeaderChange> set_paused(QueueStore& queue, bool paused, std::chrono::milliseconds lock_wait,
                                const std::string& who) {
  auto change =
      change_header(queue, lock_wait, [&](QueueStore::Pass& pass) { pass.set_paused(paused); });
  if (change && change->old_paused != paused) {
    QueueEvent event{paused ? EventType::paused : EventType::resumed, "vq-admin"};
    event.detail = who;
    queue.record(event);
  }
  return change;
}

}  // namespace vq::admin
