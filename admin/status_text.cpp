#include "status_text.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include "display_text.h"

namespace vq::admin {
namespace {

// ", Priority: high", ", Priority: low +1 age = normal, turn 2"; nothing for a plain normal
// waiter in its agent's first turn, whose line stays the seed's.
std::string priority_text(const WaitingRun& run) {
  if (run.level == Priority::normal && run.age_bonus == 0 && run.round == 0) return "";
  std::string text = ", Priority: " + std::string(priority_name(run.level));
  if (run.age_bonus > 0) {
    text += " +" + std::to_string(run.age_bonus) +
            " age = " + std::string(priority_name(run.effective));
  }
  if (run.round > 0) text += ", turn " + std::to_string(run.round + 1);
  return text;
}

class Painter {
 public:
  explicit Painter(const TextStyle& style) : m_colour(style.colour) {}
  std::string bold(const std::string& text) const { return wrap("1", text); }
  std::string warn(const std::string& text) const { return wrap("33", text); }
  std::string bad(const std::string& text) const { return wrap("31", text); }

 private:
  std::string wrap(const char* code, const std::string& text) const {
    return m_colour ? "\x1b[" + std::string(code) + "m" + text + "\x1b[0m" : text;
  }
  bool m_colour;
};

std::string blank_table_note(const StatusReport& report) {
  std::size_t live_waiters = report.waiting.size() + report.unrecorded_waiters;
  if (report.active.empty() && live_waiters == 0) return " (no vitest has used this queue yet)";
  // Truncated or zeroed under live runs: the slots are kernel locks, so nobody is admitted
  // past a holder; only the records are gone.
  return " — emptied while runs are live (" + std::to_string(report.active.size()) +
         " holding a slot, " + std::to_string(live_waiters) +
         " waiting): they keep their places by their locks; waiters rebuild it within 0.5 s, "
         "the next vitest launch also does, and `vq-admin reset --force` does it now";
}

std::string table_problem(const StatusReport& report) {
  return "Table: " + std::string(describe(report.table)) +
         (report.table == HeaderCheck::blank
              ? blank_table_note(report)
              : " — `vq-admin reset` rebuilds it (the next vitest launch also rebuilds a corrupt"
                " or older one)");
}

std::string record_name(StaleRecord::Kind kind, int index) {
  return kind == StaleRecord::Kind::holder ? "slot " + std::to_string(index)
                                           : "waiter record " + std::to_string(index);
}

// The records no live run owns: ended ones (nothing to do) apart from stale ones (repair).
std::string record_sections(const StatusReport& report, const Painter& paint) {
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  if (!report.ended.empty()) {
    line("Ended (nothing to repair; the next launch or `vq-admin cleanup` clears these records):");
    for (const EndedRecord& record : report.ended) {
      line("  " + record_name(record.kind, record.index) + ": PID " + std::to_string(record.pid) +
           (record.agent.empty() ? "" : " (Agent: " + display_text(record.agent) + ")") +
           (record.kind == StaleRecord::Kind::holder ? " ended" : " left the queue"));
    }
  }
  if (!report.stale.empty()) {
    line("Stale records (no longer match reality; `vq-admin cleanup` removes them):");
    for (const StaleRecord& record : report.stale) {
      line("  " + record_name(record.kind, record.index) + ": PID " + std::to_string(record.pid) +
           (record.agent.empty() ? "" : " (Agent: " + display_text(record.agent) + ")") + " " +
           paint.warn("[stale: " + display_text(record.reason) + "]"));
    }
  }
  if (!report.leftovers.empty()) {
    line(
        "Leftovers (processes of ended runs, still alive; `vq-admin cleanup --orphans` ends "
        "them):");
    for (const Leftover& leftover : report.leftovers) {
      line("  PID " + std::to_string(leftover.pid) + " (group " +
           std::to_string(leftover.process_group) + ", run " + std::to_string(leftover.holder.pid) +
           " ended): " + display_text(leftover.command));
    }
  }
  return out;
}

}  // namespace

std::string format_duration(double seconds) {
  long total = seconds > 0 ? static_cast<long>(seconds) : 0;
  char text[32];
  if (total < 60) {
    std::snprintf(text, sizeof text, "%lds", total);
  } else if (total < 3600) {
    std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, total % 3600 / 60);
  }
  return text;
}

std::string format_bytes(std::uint64_t bytes) {
  char text[32];
  double kib = static_cast<double>(bytes) / 1024.0;
  if (kib < 1024) {
    std::snprintf(text, sizeof text, "%.0f KiB", kib);
  } else if (kib < 1024.0 * 1024 * 10) {
    std::snprintf(text, sizeof text, "%.0f MiB", kib / 1024);
  } else {
    std::snprintf(text, sizeof text, "%.1f GiB", kib / 1024 / 1024);
  }
  return text;
}

std::string format_local_time(std::uint64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

namespace {

// The seed's RSS (status's own reading), then the watcher's PSS and its peak where the run has
// a watcher (RSS again, marked as such, where PSS could not be read).
std::string memory_text(const ActiveRun& run) {
  std::string text = run.usage ? ", RSS: " + format_bytes(run.usage->rss_bytes) : "";
  if (run.live) {
    text += std::string(run.live->memory_is_rss ? ", watcher RSS: " : ", PSS: ") +
            format_bytes(static_cast<std::uint64_t>(run.live->memory_bytes)) + " (peak " +
            format_bytes(static_cast<std::uint64_t>(run.live->peak_memory_bytes)) + ")";
  }
  return text;
}

}  // namespace

// Every text from a record (or a path) goes through display_text: another group member's
// record must not move the cursor, retitle the terminal or forge a line.
namespace {

std::string member_text(const cluster::Member& member) {
  return display_text(member.host) + ": PID " + std::to_string(member.pid) +
         " (Agent: " + display_text(member.agent) + ")";
}

// Issue 19's section, under VQ_CLUSTER only.
std::string cluster_section(const StatusReport& report, const Painter& paint) {
  if (!report.cluster) return "";
  const ClusterStatus& status = *report.cluster;
  std::string out = "\nCluster: " + display_text(status.url) +
                    " (this host: " + display_text(status.host_name) + ")\n";
  if (!status.snapshot) {
    return out + "  " +
           paint.bad("degraded: unreachable: " + display_text(status.error) +
                     " — runs start with this machine's limit only; check VQ_CLUSTER and the "
                     "Redis server") +
           "\n";
  }
  const cluster::ClusterSnapshot& snapshot = *status.snapshot;
  out += "  Permits: " + std::to_string(snapshot.holders.size()) + "/" +
         std::to_string(snapshot.limit) +
         ", lost so far: " + std::to_string(snapshot.permits_lost) + "\n";
  if (status.degraded) {
    out += "  " + paint.warn("degraded: a run here goes on with this machine's limit only") + "\n";
  }
  out += "  Holders:\n";
  if (snapshot.holders.empty()) out += "    (none)\n";
  for (const cluster::HolderView& holder : snapshot.holders) {
    out += "    " + member_text(holder.member) + " permit " +
           std::string(permit_name(holder_permit(status, report, holder))) + "\n";
  }
  out += "  Waiting (in order):\n";
  if (snapshot.waiters.empty()) out += "    (none)\n";
  int position = 0;
  for (const cluster::WaiterView& waiter : snapshot.waiters) {
    out += "    #" + std::to_string(++position) + " " + member_text(waiter.member) + "\n";
  }
  return out;
}

std::string permit_text(const ActiveRun& run) {
  PermitState state = run.live ? permit_from_number(run.live->cluster_permit) : PermitState::none;
  return state == PermitState::none ? "" : ", Cluster permit: " + std::string(permit_name(state));
}

}  // namespace

std::string render_status_text(const StatusReport& report, const TextStyle& style) {
  Painter paint(style);
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };

  line(paint.bold("=== Vitest Global Queue Status ==="));
  line("Current vitest processes: " + std::to_string(report.active.size()) + "/" +
       (report.limit > 0 ? std::to_string(report.limit) : "?"));
  line("Registered processes: " + std::to_string(report.registered));
  line("Waiting: " + std::to_string(report.waiting.size() + report.unrecorded_waiters));
  line("Limit: " + (report.limit > 0 ? std::to_string(report.limit) : "?"));
  line(report.paused ? "Paused: " + paint.warn("yes — admitting nobody new; `vq-admin resume` "
                                               "restarts admission")
                     : "Paused: no");
  if (report.table != HeaderCheck::valid) line(paint.bad(table_problem(report)));
  line("");

  line("Active processes:");
  if (report.active.empty()) line("  (none)");
  for (const ActiveRun& run : report.active) {
    std::string usage = memory_text(run);
    // Sampled when there is a sample (--watch, --sample), else the average over the run so far.
    std::optional<double> cpu = run.cpu_percent ? run.cpu_percent : run.cpu_average_percent;
    if (cpu) usage += ", CPU: " + std::to_string(std::lround(*cpu)) + "%";
    if (run.has_record && run.estimate_bytes > 0)
      usage += ", Estimate: " + format_bytes(run.estimate_bytes);
    if (run.workers) usage += ", Workers: " + std::to_string(*run.workers);
    if (run.has_record) {
      line("  PID " + std::to_string(run.pid) + " (Agent: " + display_text(run.agent) +
           ", Started: " + format_local_time(run.admitted_ms) +
           ", Runtime: " + format_duration(run.runtime_s) + usage + permit_text(run) + ")");
      line("    " + display_text(run.cwd) + ": " + display_text(run.command));
      if (!run.lock_seen) {
        line("    " + paint.warn("[its slot lock is on a lock file that was removed or replaced: "
                                 "counted from its record until it exits]"));
      }
    } else {
      line("  PID " + std::to_string(run.pid) + " (Agent: ?" + usage + ") " +
           paint.warn(run.lock_seen
                          ? "[no record: holds slot " + std::to_string(run.slot) +
                                ", table rebuilt since]"
                          : "[holds slot " + std::to_string(run.slot) +
                                " of a lock file that was removed or replaced: counted until it "
                                "exits]"));
    }
  }
  line("Waiting:");
  if (report.waiting.empty() && report.unrecorded_waiters == 0) line("  (none)");
  for (const WaitingRun& run : report.waiting) {
    std::string text = "  #" + std::to_string(run.position) + " PID " + std::to_string(run.pid) +
                       " (Agent: " + display_text(run.agent) +
                       ", Waiting: " + format_duration(run.waiting_s) + priority_text(run) + ")";
    // append, not `" " + ...`: GCC 12 at -O3 warns falsely (-Wrestrict) on that insert.
    if (run.stopped)
      text.append(" ").append(paint.warn("[stopped: passed over until it continues]"));
    if (!run.stopped && run.reason.block != WaitBlock::none)
      text.append(" — ").append(describe(run.reason));
    line(text);
  }
  if (report.unrecorded_waiters > 0) {
    line("  " + std::to_string(report.unrecorded_waiters) + " " +
         paint.warn("[no record: re-registering after a table rebuild]"));
  }
  out += record_sections(report, paint);
  out += cluster_section(report, paint);
  line("");
  line("Queue directory: " + display_text(report.queue_dir));
  line("Log file: " + (report.log_file.empty() ? "none (group mode keeps no log)"
                                               : display_text(report.log_file)));
  return out;
}

}  // namespace vq::admin
