#include "lease_keeper.h"

#include <algorithm>

namespace vq::watch {
namespace {

using std::chrono::milliseconds;

milliseconds renew_period(const cluster::ClusterSettings& settings) {
  return std::max(milliseconds(settings.ttl.count() / 3), milliseconds(50));
}

// Reconnecting to a lost server: first after one renewal period, then doubling up to half a
// TTL. No longer: a server restarted empty admits nobody for one TTL so that live keepers can
// re-register first, and a keeper backed off past that would come back to a full queue.
milliseconds max_backoff(const cluster::ClusterSettings& settings) {
  return std::max(milliseconds(settings.ttl.count() / 2), renew_period(settings));
}

}  // namespace

LeaseKeeper::LeaseKeeper(const cluster::ClusterSettings& settings, cluster::ClusterQueue queue,
                         cluster::Permit permit)
    : m_settings(settings),
      m_queue(std::move(queue)),
      m_permit(std::move(permit)),
      m_backoff(renew_period(settings)) {
  m_thread = std::thread([this] { keep(); });
}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void LeaseKeeper::keep() {
  std::unique_lock<std::mutex> lock(m_mutex);
  milliseconds next = renew_period(m_settings);
  while (!m_wake.wait_for(lock, next, [this] { return m_stopping; })) {
    lock.unlock();
    next = renew_once();
    lock.lock();
  }
}

// One renewal (or reconnection); returns when the next is due.
milliseconds LeaseKeeper::renew_once() {
  if (state() == PermitState::lost) return max_backoff(m_settings);
  if (!m_queue) {
    auto queue = cluster::ClusterQueue::connect(m_settings);
    if (!queue) {
      m_backoff = std::min(m_backoff * 2, max_backoff(m_settings));
      return m_backoff;
    }
    m_queue.emplace(std::move(*queue));
  }
  auto renewal = m_queue->renew(m_permit);
  if (!renewal) {
    // The server is lost: the run goes on with this machine's limit only until it is back.
    m_queue.reset();
    m_state.store(static_cast<int>(PermitState::local_only));
    return m_backoff;
  }
  m_backoff = renew_period(m_settings);
  const bool lost = *renewal == cluster::Renewal::lost;
  m_state.store(static_cast<int>(lost ? PermitState::lost : PermitState::held));
  return m_backoff;
}

PermitState LeaseKeeper::finish() {
  stop();
  if (!m_queue)
    m_queue = [this]() -> std::optional<cluster::ClusterQueue> {
      auto queue = cluster::ClusterQueue::connect(m_settings);
      if (!queue) return std::nullopt;
      return std::move(*queue);
    }();
  if (m_queue) (void)m_queue->release(m_permit);
  return state();
}

}  // namespace vq::watch
