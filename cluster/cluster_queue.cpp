#include "cluster_queue.h"

#include <algorithm>
#include <charconv>

#include "cluster_scripts.h"
#include "redis_connection.h"

namespace vq::cluster {
namespace {

std::string prefix_of(const ClusterSettings& settings) {
  return "{vq:" + settings.queue + "}";
}

std::uint64_t as_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// "<token> <epoch>", as the admitting script pushes it.
Permit permit_from(std::uint64_t ticket, const std::string& payload, const Member& member) {
  auto space = payload.find(' ');
  return Permit{ticket, as_u64(payload.substr(0, space)),
                space == std::string::npos ? "" : payload.substr(space + 1), member};
}

std::vector<std::string> member_args(const Member& m) {
  return {m.host,
          m.agent,
          m.command,
          std::to_string(m.pid),
          std::to_string(m.priority),
          std::to_string(m.age_bound_ms),
          std::to_string(m.per_agent)};
}

Error unexpected(std::string_view what) {
  return Error{"VQ_CLUSTER: the server's answer to " + std::string(what) +
               " has an unexpected shape — is another program using the {vq:*} keys?"};
}

}  // namespace

ClusterQueue::ClusterQueue(ClusterSettings settings, std::unique_ptr<RedisConnection> connection)
    : m_settings(std::move(settings)), m_connection(std::move(connection)) {}
ClusterQueue::ClusterQueue(ClusterQueue&&) noexcept = default;
ClusterQueue& ClusterQueue::operator=(ClusterQueue&&) noexcept = default;
ClusterQueue::~ClusterQueue() = default;

Result<ClusterQueue> ClusterQueue::connect(const ClusterSettings& settings) {
  VQ_TRY_ASSIGN(connection, RedisConnection::open(settings));
  return ClusterQueue(settings, std::move(*connection));
}

Result<Reply> ClusterQueue::script(std::string_view name, std::vector<std::string> args) {
  std::vector<std::string> all{std::to_string(m_settings.ttl.count()),
                               std::to_string(m_settings.limit_seed())};
  all.insert(all.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  return run_script(*m_connection, name, prefix_of(m_settings), all);
}

Result<std::uint64_t> ClusterQueue::join(const Member& me) {
  m_member = me;
  VQ_TRY_ASSIGN(reply, script("join", member_args(me)));
  if (reply->elements.size() != 2) return unexpected("join");
  m_join_epoch = reply->elements[1].text;
  return static_cast<std::uint64_t>(reply->elements[0].as_integer());
}

Result<Turn> ClusterQueue::wait_turn(std::uint64_t ticket, std::chrono::milliseconds wait) {
  std::vector<std::string> args{std::to_string(ticket), m_join_epoch};
  for (auto& field : member_args(m_member)) args.push_back(std::move(field));
  auto first = script("heartbeat", args);
  // A connection broken since the last call (a server restart, a short partition) is opened
  // again by the next command: one retry, so a waiter does not give up its place for that.
  VQ_TRY_ASSIGN(beat, first ? std::move(first) : script("heartbeat", std::move(args)));
  if (beat->elements.size() < 2) return unexpected("a heartbeat");
  long long state = beat->elements[0].as_integer();
  if (state == 1) return Turn{permit_from(ticket, beat->elements[1].text, m_member), 0};
  if (state < 0) {
    return Error{"VQ_CLUSTER: ticket " + std::to_string(ticket) +
                 " is no longer in the cluster queue: its heartbeats stopped for longer than "
                 "VQ_CLUSTER_TTL — join again"};
  }
  Turn turn{std::nullopt, static_cast<std::size_t>(beat->elements[1].as_integer())};
  auto block = std::min(wait, m_settings.ttl / 3);
  // Nobody admits when a grace period ends: the waiter looks again then.
  if (beat->elements.size() == 3 && beat->elements[2].as_integer() > 0) {
    block = std::min(block, std::chrono::milliseconds(beat->elements[2].as_integer() + 1));
  }
  if (block.count() <= 0) return turn;
  // BLPOP takes seconds with a fraction; the reply may take that long, plus the usual bound.
  std::string seconds = std::to_string(block.count() / 1000) + "." +
                        std::to_string(1000 + block.count() % 1000).substr(1);
  auto popped = m_connection->command(
      {"BLPOP", prefix_of(m_settings) + ":wake:" + std::to_string(ticket), seconds},
      block + k_command_timeout);
  // The wake list is only a wake-up: a permit popped with its reply lost is still granted, and
  // the next heartbeat returns it.
  if (!popped) return turn;
  if (popped->type == Reply::Type::array && popped->elements.size() == 2) {
    return Turn{permit_from(ticket, popped->elements[1].text, m_member), 0};
  }
  return turn;
}

Result<Renewal> ClusterQueue::renew(Permit& permit) {
  std::vector<std::string> args{std::to_string(permit.token), permit.epoch,
                                std::to_string(permit.ticket)};
  for (auto& field : member_args(permit.member)) args.push_back(std::move(field));
  args.push_back(std::to_string(permit.limit));
  VQ_TRY_ASSIGN(reply, script("renew", std::move(args)));
  if (reply->elements.size() != 3) return unexpected("a renewal");
  permit.limit = static_cast<int>(reply->elements[2].as_integer());
  const std::string& state = reply->elements[0].text;
  if (state == "renewed") return Renewal::renewed;
  if (state == "lost") return Renewal::lost;
  if (state != "reregistered") return unexpected("a renewal");
  // Later renewals of this permit belong to the new epoch: an expiry in it is a loss, not a
  // restart.
  permit.epoch = reply->elements[1].text;
  return Renewal::reregistered;
}

Result<void> ClusterQueue::release(const Permit& permit) {
  VQ_TRY(script("release", {std::to_string(permit.token)}));
  return {};
}

Result<void> ClusterQueue::leave(std::uint64_t ticket) {
  VQ_TRY(script("leave", {std::to_string(ticket)}));
  return {};
}

Result<void> ClusterQueue::set_limit(int limit) {
  VQ_TRY(script("set_limit", {std::to_string(limit)}));
  return {};
}

}  // namespace vq::cluster
