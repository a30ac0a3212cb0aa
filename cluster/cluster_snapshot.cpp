// ClusterQueue's views for people: the snapshot status shows, and the server facts doctor checks.
#include <sys/time.h>

#include <charconv>

#include "cluster_queue.h"
#include "redis_connection.h"

namespace vq::cluster {
namespace {

std::int64_t number(const Reply& reply) {
  return static_cast<std::int64_t>(reply.as_integer());
}

// {token, ticket, host, agent, command, pid, priority, age_bound, since, expires}
std::optional<HolderView> holder_from(const Reply& row) {
  if (row.elements.size() != 10) return std::nullopt;
  const auto& e = row.elements;
  HolderView view;
  view.token = static_cast<std::uint64_t>(number(e[0]));
  view.ticket = static_cast<std::uint64_t>(number(e[1]));
  view.member = Member{e[2].text,
                       e[3].text,
                       e[4].text,
                       static_cast<int>(number(e[5])),
                       static_cast<int>(number(e[6])),
                       static_cast<std::uint64_t>(number(e[7]))};
  view.since_ms = number(e[8]);
  view.expires_ms = number(e[9]);
  return view;
}

std::int64_t wall_ms() {
  timeval now{};
  ::gettimeofday(&now, nullptr);
  return std::int64_t{now.tv_sec} * 1000 + now.tv_usec / 1000;
}

// INFO persistence's aof_enabled.
Result<bool> append_only(RedisConnection& connection) {
  VQ_TRY_ASSIGN(info, connection.command({"INFO", "persistence"}));
  if (info->is_error()) return Error{"VQ_CLUSTER: INFO persistence failed: " + info->text};
  return info->text.find("aof_enabled:1") != std::string::npos;
}

// CONFIG GET save: RDB save points set. Unknown (an ACL without CONFIG) reads as none.
bool saves_dumps(RedisConnection& connection) {
  auto save = connection.command({"CONFIG", "GET", "save"});
  return save && save->elements.size() == 2 && !save->elements[1].text.empty();
}

}  // namespace

Result<ClusterSnapshot> ClusterQueue::snapshot() {
  VQ_TRY_ASSIGN(reply, script("snapshot", {}));
  const auto& e = reply->elements;
  if (e.size() != 8) return Error{"VQ_CLUSTER: the snapshot script's answer has a bad shape"};
  ClusterSnapshot out;
  out.limit = static_cast<int>(number(e[0]));
  out.server_time_ms = number(e[1]);
  out.permits_lost = static_cast<std::uint64_t>(number(e[2]));
  out.stale_requests = static_cast<std::uint64_t>(number(e[3]));
  out.grace_until_ms = number(e[4]);
  out.epoch = e[5].text;
  for (const auto& row : e[6].elements) {
    if (auto holder = holder_from(row)) out.holders.push_back(std::move(*holder));
  }
  for (const auto& row : e[7].elements) {
    auto waiter = holder_from(row);
    if (!waiter) continue;
    out.waiters.push_back(WaiterView{waiter->member, waiter->ticket, waiter->since_ms});
  }
  VQ_TRY_ASSIGN(persistent, append_only(*m_connection));
  out.persistent = *persistent;
  return out;
}

Result<ServerFacts> ClusterQueue::server_facts() {
  ServerFacts facts;
  VQ_TRY_ASSIGN(info, m_connection->command({"INFO", "server"}));
  constexpr std::string_view k_field = "redis_version:";
  if (auto at = info->text.find(k_field); at != std::string::npos) {
    auto end = info->text.find_first_of("\r\n", at);
    facts.version = info->text.substr(at + k_field.size(), end - at - k_field.size());
    std::from_chars(facts.version.data(), facts.version.data() + facts.version.size(),
                    facts.major_version);
  }
  std::int64_t before = wall_ms();
  VQ_TRY_ASSIGN(time, m_connection->command({"TIME"}));
  std::int64_t after = wall_ms();
  if (time->elements.size() != 2) return Error{"VQ_CLUSTER: TIME gave an unexpected answer"};
  facts.server_time_ms = number(time->elements[0]) * 1000 + number(time->elements[1]) / 1000;
  facts.clock_skew_ms = facts.server_time_ms - (before + after) / 2;
  VQ_TRY_ASSIGN(persistent, append_only(*m_connection));
  facts.persistent = *persistent;
  facts.saves_dumps = saves_dumps(*m_connection);
  return facts;
}

std::optional<std::string> ClusterQueue::persistence_warning() {
  auto persistent = append_only(*m_connection);
  if (!persistent || *persistent) return std::nullopt;
  // A restart from an old dump is told by the server's run_id and handled as one empty, but
  // the dump's holders, long gone, count against the limit for one more TTL.
  const std::string dump =
      saves_dumps(*m_connection) ? " or loads an old dump.rdb (its save points are on)" : "";
  return "the Redis server at " + m_connection->address() +
         " has appendonly off: a restart forgets holders" + dump +
         " (they re-register within one VQ_CLUSTER_TTL) — set appendonly yes in its redis.conf";
}

}  // namespace vq::cluster
