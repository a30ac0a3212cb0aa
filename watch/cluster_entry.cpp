#include "cluster_entry.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "cluster_report.h"

namespace vq::watch {
namespace {

using std::chrono::milliseconds;

// How long one wait_turn may sleep: short enough that a shim which gave up is noticed soon and
// the ticket's heartbeat stays well inside its expiry (one TTL), at most a second.
milliseconds wait_slice(const cluster::ClusterSettings& settings) {
  return std::clamp(milliseconds(settings.ttl.count() / 3), milliseconds(50), milliseconds(1000));
}

bool report(int fd, const ClusterReport& what) {
  const std::string line = format_report(what);
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the shim closed the pipe: it is gone or no longer waiting
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool unreachable(int fd, const std::string& reason) {
  ClusterReport what;
  what.kind = ClusterReport::Kind::unreachable;
  what.reason = reason;
  return report(fd, what);
}

bool exited(int pidfd) {
  if (pidfd < 0) return false;
  pollfd watched{pidfd, POLLIN, 0};
  return ::poll(&watched, 1, 0) != 0;
}

cluster::Member member_of(const cluster::ClusterSettings& settings, const WatchRequest& request,
                          int per_agent) {
  cluster::Member me;
  me.host = settings.host_name;
  me.agent = request.agent;
  me.command = request.command;
  me.pid = request.pid;
  me.priority = request.priority;
  me.per_agent = per_agent;
  return me;
}

// Whether a failed wait_turn is worth another try: an outage shorter than one TTL (a restart,
// a short partition) costs the ticket nothing on the server, and its permit, if granted
// meanwhile, is kept there for the next heartbeat. Going local-only at the first error would
// let this run start next to one the cluster counts for it. The shim's own timeout still
// applies: a shim that gave up is noticed here.
// failing_since: the first failure of this run of them; zero while the last call succeeded.
bool worth_retrying(std::chrono::steady_clock::time_point& failing_since,
                    const cluster::ClusterSettings& settings, int pidfd) {
  auto now = std::chrono::steady_clock::now();
  if (failing_since == std::chrono::steady_clock::time_point{}) failing_since = now;
  if (exited(pidfd)) return true;  // the loop leaves the line for it
  if (now - failing_since >= settings.ttl) return false;
  std::this_thread::sleep_for(std::min(wait_slice(settings), milliseconds(200)));
  return true;
}

// Sleeps in the queue until admitted; the entry says how it ended.
void wait_in_line(cluster::ClusterQueue& queue, std::uint64_t ticket,
                  const cluster::ClusterSettings& settings, const WatchRequest& request, int pidfd,
                  ClusterEntry& entry) {
  std::optional<std::size_t> told_ahead;
  std::chrono::steady_clock::time_point failing_since{};
  for (;;) {
    if (exited(pidfd)) {
      (void)queue.leave(ticket);
      entry.shim_gone = true;
      return;
    }
    auto turn = queue.wait_turn(ticket, wait_slice(settings));
    if (!turn && worth_retrying(failing_since, settings, pidfd)) continue;
    if (!turn) {
      entry.shim_gone = !unreachable(request.report_fd, turn.error().message);
      return;
    }
    failing_since = {};
    if (turn->permit) {
      entry.permit = turn->permit;
      entry.state = PermitState::held;
      return;
    }
    if (told_ahead == turn->ahead) continue;
    told_ahead = turn->ahead;
    ClusterReport queued;
    queued.ticket = ticket;
    queued.ahead = turn->ahead;
    if (!report(request.report_fd, queued)) {
      (void)queue.leave(ticket);
      entry.shim_gone = true;
      return;
    }
  }
}

// Admitted: tell the shim; a shim that is gone by now gets no permit held in its name.
void hand_over(ClusterEntry& entry, const WatchRequest& request, int pidfd) {
  ClusterReport admitted;
  admitted.kind = ClusterReport::Kind::admitted;
  admitted.token = entry.permit->token;
  if (!exited(pidfd) && report(request.report_fd, admitted)) return;
  (void)entry.queue->release(*entry.permit);
  entry.permit.reset();
  entry.shim_gone = true;
}

}  // namespace

ClusterEntry enter_cluster(const cluster::ClusterSettings& settings, const WatchRequest& request,
                           int pidfd, int per_agent) {
  ClusterEntry entry;
  auto queue = cluster::ClusterQueue::connect(settings);
  if (!queue) {
    entry.shim_gone = !unreachable(request.report_fd, queue.error().message);
    return entry;
  }
  auto ticket = queue->join(member_of(settings, request, per_agent));
  if (!ticket) {
    entry.shim_gone = !unreachable(request.report_fd, ticket.error().message);
    return entry;
  }
  entry.queue = std::move(*queue);
  wait_in_line(*entry.queue, *ticket, settings, request, pidfd, entry);
  if (entry.state == PermitState::held) hand_over(entry, request, pidfd);
  return entry;
}

}  // namespace vq::watch
