#include "poke_budget.h"

#include <algorithm>

namespace vq {
namespace {

// Rescans that pokes may cause: a burst, then this many a second.
constexpr double k_poke_burst = 10;
constexpr double k_pokes_per_s = 50;

}  // namespace

PokeBudget::PokeBudget() : m_tokens(k_poke_burst), m_refilled(std::chrono::steady_clock::now()) {}

void PokeBudget::refill() {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - m_refilled).count();
  m_tokens = std::min(k_poke_burst, m_tokens + seconds * k_pokes_per_s);
  m_refilled = now;
}

bool PokeBudget::take_ready() {
  refill();
  return m_tokens >= 1;
}

void PokeBudget::spend() {
  m_tokens -= 1;
}

int PokeBudget::ms_until_next() const {
  double missing = 1 - m_tokens;
  return missing <= 0 ? 0 : static_cast<int>(missing * 1000 / k_pokes_per_s) + 1;
}

}  // namespace vq
