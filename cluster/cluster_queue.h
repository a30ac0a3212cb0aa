// The cluster queue: one limit shared by every host, kept in Redis. All state and all time are
// the server's (Lua scripts reading TIME); a client only holds tickets and permits it was given.
// Waiting is a BLPOP on the ticket's own wake list, which the admitting script pushes the
// permit to: first come, first served, no polling, no herd. A permit is a lease renewed by the
// run's keeper; each admission carries a fencing token, so a renewal or release after the lease
// expired changes nothing and is counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster_settings.h"
#include "result.h"

namespace vq::cluster {

// Who waits or holds, as status shows it.
struct Member {
  std::string host, agent, command;
  int pid = 0;
  int priority = 1;                // turn_order's levels: 0 low .. 3 urgent
  std::uint64_t age_bound_ms = 0;  // 0: no age bonus
  int per_agent = 0;               // VQ_PER_AGENT across hosts, for an explicit agent id; 0: no cap
};

// The permit carries what a renewal needs, so that any ClusterQueue can renew it: a keeper
// reconnects with a fresh one after every error.
struct Permit {
  std::uint64_t ticket = 0;
  std::uint64_t token = 0;  // fencing token, from a server counter; unique per admission
  std::string epoch;        // the server state it is held in: given in, or last re-registered in
  Member member;            // what a re-registration shows
  int limit = 0;            // the cluster's limit at the last renewal (0: none yet), carried over a
                            // restart that forgot it
};

// lost: the lease expired or the token is not a holder's (stale) — counted server-side.
// reregistered: the server restarted empty; the permit is held again under its own token.
enum class Renewal { renewed, reregistered, lost };

struct Turn {
  std::optional<Permit> permit;  // set: admitted
  std::size_t ahead = 0;         // waiters before this one in the line's order
};

struct HolderView {
  Member member;
  std::uint64_t ticket = 0, token = 0;
  std::int64_t since_ms = 0;    // server time of admission (or re-registration)
  std::int64_t expires_ms = 0;  // server time the lease ends unless renewed
};

struct WaiterView {
  Member member;
  std::uint64_t ticket = 0;
  std::int64_t since_ms = 0;  // server time it joined
};

struct ClusterSnapshot {
  int limit = 0;
  std::vector<HolderView> holders;   // by token
  std::vector<WaiterView> waiters;   // in the line's order: next to be admitted first
  std::uint64_t permits_lost = 0;    // leases that expired before their release
  std::uint64_t stale_requests = 0;  // renewals and releases with a token that held nothing
  bool persistent = false;           // appendonly on: a restart keeps holders
  std::int64_t server_time_ms = 0;
  std::int64_t grace_until_ms = 0;  // no admission before (re-registration after a restart)
  std::string epoch;
};

// What `doctor` reports about the server.
struct ServerFacts {
  std::string version;  // "7.0.15"
  int major_version = 0;
  std::int64_t server_time_ms = 0;
  std::int64_t clock_skew_ms = 0;  // server clock minus this host's (midpoint of the round trip)
  bool persistent = false;
  bool saves_dumps = false;  // RDB save points on: without appendonly a restart loads an old dump
};

class RedisConnection;
struct Reply;

class ClusterQueue {
 public:
  // Connects (bounded connect and command timeouts, about 1 s), AUTHs, SELECTs. Errors are
  // sentences naming VQ_CLUSTER or VQ_CLUSTER_PASSWORD_FILE: unreachable, wrong password or no
  // such user, not a Redis server, a server older than 7.
  static Result<ClusterQueue> connect(const ClusterSettings& settings);
  ClusterQueue(ClusterQueue&&) noexcept;
  ClusterQueue& operator=(ClusterQueue&&) noexcept;
  ~ClusterQueue();

  // A ticket: the server's counter, so arrival order holds across hosts. May admit at once;
  // wait_turn tells.
  Result<std::uint64_t> join(const Member& me);
  // Heartbeats the ticket and, unless admitted already, sleeps on its wake list at most
  // `wait` (and never past a third of the TTL, so the heartbeat stays ahead of its expiry).
  Result<Turn> wait_turn(std::uint64_t ticket, std::chrono::milliseconds wait);
  // Extends the lease by one TTL; after a restart, re-registers the permit under its token
  // and moves it to the new epoch (a later expiry is then a loss, not a restart).
  Result<Renewal> renew(Permit& permit);
  Result<void> release(const Permit& permit);  // a stale one changes nothing (counted)
  Result<void> leave(std::uint64_t ticket);    // a waiter giving up (gives back a permit too)
  Result<ClusterSnapshot> snapshot();
  Result<void> set_limit(int limit);
  Result<ServerFacts> server_facts();
  // "appendonly is off: a restart forgets holders", or nothing when persistence is on.
  std::optional<std::string> persistence_warning();

  const ClusterSettings& settings() const { return m_settings; }

 private:
  ClusterQueue(ClusterSettings settings, std::unique_ptr<RedisConnection> connection);

  Result<Reply> script(std::string_view name, std::vector<std::string> args);

  ClusterSettings m_settings;
  std::unique_ptr<RedisConnection> m_connection;
  Member m_member;           // from join(): what a returning waiter and its permit show
  std::string m_join_epoch;  // a heartbeat in another epoch puts the ticket back in the line
};

}  // namespace vq::cluster
