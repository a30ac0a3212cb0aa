#include "status_json.h"

#include <unistd.h>

#include <ctime>

#include "display_text.h"

namespace vq::admin {
namespace {

using Json = nlohmann::ordered_json;

// ISO 8601 in UTC: unambiguous for scripts, whatever the reader's time zone.
std::string iso_utc(std::uint64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Record text is bytes another process wrote; the encoder throws on invalid UTF-8 (see
// json_text for what such bytes become).
Json text(std::string_view value) {
  return Json(json_text(value));
}

template <typename T>
Json or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// Issue 15's fields: the watcher's figures where the run has one, else status's own reading.
void add_live_fields(Json& entry, const ActiveRun& run) {
  if (run.live) {
    entry["memory_bytes"] = run.live->memory_bytes;
    entry["peak_memory_bytes"] = run.live->peak_memory_bytes;
    entry["memory_kind"] = run.live->memory_is_rss ? "rss" : "pss";
    entry["cpu_seconds"] = static_cast<double>(run.live->cpu_ms) / 1000.0;
    entry["measured_by"] = "watcher";
    return;
  }
  entry["memory_bytes"] = run.usage ? Json(run.usage->rss_bytes) : Json(nullptr);
  entry["peak_memory_bytes"] = nullptr;
  entry["memory_kind"] = run.usage ? Json("rss") : Json(nullptr);
  entry["cpu_seconds"] = run.usage ? Json(static_cast<double>(run.usage->cpu_ticks) /
                                          static_cast<double>(::sysconf(_SC_CLK_TCK)))
                                   : Json(nullptr);
  entry["measured_by"] = run.usage ? Json("status") : Json(nullptr);
}

// Fields added to schema 2 by memory-aware admission.
void add_wait_reason(Json& entry, const WaitingRun& run) {
  const WaitReason& reason = run.reason;
  entry["memory_estimate_bytes"] =
      run.estimate_bytes > 0 ? Json(run.estimate_bytes) : Json(nullptr);
  entry["blocked_on"] =
      reason.block == WaitBlock::none ? Json(nullptr) : Json(std::string(block_name(reason.block)));
  entry["blocked_reason"] =
      reason.block == WaitBlock::none ? Json(nullptr) : Json(describe(reason));
  const bool room = reason.block == WaitBlock::memory || reason.block == WaitBlock::pressure;
  entry["room"] = room ? Json{{"available_bytes", reason.available},
                              {"growing_bytes", reason.growing},
                              {"reserve_bytes", reason.reserve},
                              {"pressure_percent", reason.pressure_percent}}
                       : Json(nullptr);
}

Json member_json(const cluster::Member& member) {
  return Json{{"host", text(member.host)},
              {"agent", text(member.agent)},
              {"pid", member.pid},
              {"command", text(member.command)}};
}

// Issue 19's section: null without VQ_CLUSTER.
Json cluster_json(const StatusReport& report) {
  if (!report.cluster) return nullptr;
  const ClusterStatus& status = *report.cluster;
  Json out{{"url", text(status.url)},
           {"queue", text(status.queue)},
           {"host", text(status.host_name)},
           {"reachable", status.snapshot.has_value()},
           {"error", status.snapshot ? Json(nullptr) : text(status.error)},
           {"degraded", status.degraded}};
  if (!status.snapshot) return out;
  const cluster::ClusterSnapshot& snapshot = *status.snapshot;
  out["limit"] = snapshot.limit;
  out["holders"] = Json::array();
  for (const cluster::HolderView& holder : snapshot.holders) {
    Json entry = member_json(holder.member);
    entry["ticket"] = holder.ticket;
    entry["token"] = holder.token;
    entry["since_ms"] = holder.since_ms;
    entry["expires_ms"] = holder.expires_ms;
    entry["permit"] = std::string(permit_name(holder_permit(status, report, holder)));
    out["holders"].push_back(std::move(entry));
  }
  out["waiters"] = Json::array();
  for (const cluster::WaiterView& waiter : snapshot.waiters) {
    Json entry = member_json(waiter.member);
    entry["position"] = out["waiters"].size() + 1;
    entry["ticket"] = waiter.ticket;
    entry["since_ms"] = waiter.since_ms;
    out["waiters"].push_back(std::move(entry));
  }
  out["permits_lost"] = snapshot.permits_lost;
  out["persistent"] = snapshot.persistent;
  return out;
}

// A local run's cluster permit as its keeper last published it; null without a cluster.
Json permit_json(const ActiveRun& run) {
  PermitState state = run.live ? permit_from_number(run.live->cluster_permit) : PermitState::none;
  return state == PermitState::none ? Json(nullptr) : Json(std::string(permit_name(state)));
}

// One holder of the table, with what the kernel, its record and its watcher say.
Json active_json(const ActiveRun& run) {
  Json entry;
  entry["pid"] = run.pid;
  entry["slot"] = run.slot;
  entry["has_record"] = run.has_record;
  entry["lock_seen"] = run.lock_seen;
  entry["agent"] = run.has_record ? text(run.agent) : Json(nullptr);
  entry["started"] = run.has_record ? Json(iso_utc(run.admitted_ms)) : Json(nullptr);
  entry["started_ms"] = run.has_record ? Json(run.admitted_ms) : Json(nullptr);
  entry["runtime_s"] = run.has_record ? Json(run.runtime_s) : Json(nullptr);
  entry["rss_bytes"] = run.usage ? Json(run.usage->rss_bytes) : Json(nullptr);
  entry["cpu_percent"] = or_null(run.cpu_percent);
  entry["cpu_average_percent"] = or_null(run.cpu_average_percent);
  entry["cpu_time_s"] = run.usage ? Json(static_cast<double>(run.usage->cpu_ticks) /
                                         static_cast<double>(::sysconf(_SC_CLK_TCK)))
                                  : Json(nullptr);
  entry["processes"] = run.usage ? Json(run.usage->processes) : Json(nullptr);
  entry["cwd"] = run.has_record ? text(run.cwd) : Json(nullptr);
  entry["command"] = run.has_record ? text(run.command) : Json(nullptr);
  add_live_fields(entry, run);
  entry["memory_estimate_bytes"] =
      run.has_record && run.estimate_bytes > 0 ? Json(run.estimate_bytes) : Json(nullptr);
  entry["workers"] = run.workers ? Json(*run.workers) : Json(nullptr);
  entry["cluster_permit"] = permit_json(run);
  return entry;
}

// One waiter, in line order, with what it is blocked on.
Json waiting_json(const WaitingRun& run) {
  Json entry{{"pid", run.pid},
             {"agent", text(run.agent)},
             {"position", run.position},
             {"waiting_s", run.waiting_s},
             {"since", iso_utc(run.since_ms)},
             {"stopped", run.stopped},
             {"ticket", run.ticket},
             {"priority", std::string(priority_name(run.level))},
             {"age_bonus", run.age_bonus},
             {"effective_priority", std::string(priority_name(run.effective))},
             {"turn", run.round}};
  add_wait_reason(entry, run);
  return entry;
}

}  // namespace

Json status_json(const StatusReport& report) {
  Json out;
  out["schema_version"] = k_status_schema_version;
  out["queue_dir"] = text(report.queue_dir);
  out["log_file"] = text(report.log_file);
  out["table"] = std::string(describe(report.table));
  out["limit"] = report.limit > 0 ? Json(report.limit) : Json(nullptr);
  out["paused"] = report.paused;
  out["busy"] = report.active.size();
  out["registered"] = report.registered;
  out["active"] = Json::array();
  for (const ActiveRun& run : report.active) out["active"].push_back(active_json(run));
  out["waiting"] = Json::array();
  for (const WaitingRun& run : report.waiting) out["waiting"].push_back(waiting_json(run));
  out["unrecorded_waiters"] = report.unrecorded_waiters;
  out["ended"] = Json::array();
  for (const EndedRecord& record : report.ended) {
    out["ended"].push_back(
        Json{{"kind", record.kind == StaleRecord::Kind::holder ? "holder" : "waiter"},
             {"index", record.index},
             {"pid", record.pid},
             {"agent", record.agent.empty() ? Json(nullptr) : Json(record.agent)}});
  }
  out["stale"] = Json::array();
  for (const StaleRecord& record : report.stale) {
    out["stale"].push_back(
        Json{{"kind", record.kind == StaleRecord::Kind::holder ? "holder" : "waiter"},
             {"index", record.index},
             {"pid", record.pid},
             {"agent", record.agent.empty() ? Json(nullptr) : text(record.agent)},
             {"reason", text(record.reason)}});
  }
  out["leftovers"] = Json::array();
  for (const Leftover& leftover : report.leftovers) {
    out["leftovers"].push_back(Json{{"pid", leftover.pid},
                                    {"process_group", leftover.process_group},
                                    {"holder_pid", leftover.holder.pid},
                                    {"command", text(leftover.command)}});
  }
  out["cluster"] = cluster_json(report);
  return out;
}

}  // namespace vq::admin
