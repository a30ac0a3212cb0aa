#include "queue_event.h"

#include "event_log.h"

namespace vq {
namespace {

void add(std::string& text, const char* name, const std::string& value) {
  if (!text.empty()) text += ' ';
  text += name;
  text += '=';
  text += value;
}

template <typename Number>
void add(std::string& text, const char* name, const std::optional<Number>& value) {
  if (value) add(text, name, std::to_string(*value));
}

}  // namespace

const char* event_name(EventType type) {
  switch (type) {
    case EventType::created:
      return "created";
    case EventType::repaired:
      return "repaired";
    case EventType::released_by_exit:
      return "released-by-exit";
    case EventType::dropped_dead_waiter:
      return "dropped-dead-waiter";
    case EventType::update_lock_stuck:
      return "update-lock-stuck";
    case EventType::update_lock_busy:
      return "update-lock-busy";
    case EventType::queue_full:
      return "queue-full";
    case EventType::queued:
      return "queued";
    case EventType::admitted:
      return "admitted";
    case EventType::interrupted:
      return "interrupted";
    case EventType::timed_out:
      return "timed-out";
    case EventType::queue_replaced:
      return "queue-replaced";
    case EventType::limit_changed:
      return "limit-changed";
    case EventType::paused:
      return "paused";
    case EventType::resumed:
      return "resumed";
    case EventType::priority_changed:
      return "priority-changed";
    case EventType::reset:
      return "reset";
    case EventType::failed_open:
      return "failed-open";
    case EventType::refused:
      return "refused";
    case EventType::history_failed:
      return "history-failed";
    case EventType::history_rebuilt:
      return "history-rebuilt";
    case EventType::cancelled:
      return "cancelled";
    case EventType::cluster_unreachable:
      return "cluster-unreachable";
  }
  return "unknown";
}

bool is_warning(EventType type) {
  switch (type) {
    case EventType::repaired:
    case EventType::update_lock_stuck:
    case EventType::queue_full:
    case EventType::timed_out:
    case EventType::queue_replaced:
    case EventType::reset:
    case EventType::failed_open:
    case EventType::refused:
    case EventType::history_failed:
    case EventType::history_rebuilt:
    case EventType::cluster_unreachable:
      return true;
    default:
      return false;
  }
}

std::string render_details(const QueueEvent& e) {
  std::string text;
  switch (e.type) {
    case EventType::created:
      add(text, "limit", e.limit);
      break;
    case EventType::released_by_exit:
      add(text, "holder", e.holder);
      add(text, "slot", e.slot);
      if (e.held_s) add(text, "held", std::to_string(*e.held_s) + "s");
      add(text, "seen_by", e.seen_by);
      break;
    case EventType::dropped_dead_waiter:
      add(text, "waiter", e.waiter);
      add(text, "ticket", e.ticket);
      add(text, "seen_by", e.seen_by);
      break;
    case EventType::queued:
      add(text, "ticket", e.ticket);
      add(text, "position", e.position);
      if (e.busy && e.limit)
        add(text, "busy", std::to_string(*e.busy) + "/" + std::to_string(*e.limit));
      break;
    case EventType::admitted:
      add(text, "slot", e.slot);
      add(text, "ticket", e.ticket);
      add(text, "waited_ms", e.waited_ms);
      add(text, "cwd", e.cwd);
      break;
    case EventType::interrupted:
      add(text, "signal", e.signal);
      add(text, "ticket", e.ticket);
      break;
    case EventType::timed_out:
      add(text, "ticket", e.ticket);
      add(text, "waited_ms", e.waited_ms);
      add(text, "holders", e.holders);
      break;
    case EventType::limit_changed:
      add(text, "from", e.old_limit);
      add(text, "to", e.limit);
      if (!e.detail.empty()) text += ' ' + e.detail;
      break;
    case EventType::cancelled:
      add(text, "waiter", e.waiter);
      if (!e.detail.empty()) text += ' ' + e.detail;
      break;
    default:
      text = e.detail;
      break;
  }
  return text;
}

void log_event(EventLog& log, const QueueEvent& event) {
  if (is_warning(event.type)) {
    log.warn(event.agent, event_name(event.type), render_details(event));
  } else {
    log.info(event.agent, event_name(event.type), render_details(event));
  }
}

}  // namespace vq
