// How many rescans pokes of a waiter's FIFOs may still cause. Anyone who can open the FIFOs (a
// group member) could otherwise keep every waiter rescanning under the update lock; real pokes
// (an admission ahead, a header change) come a few a second at most.
#pragma once

#include <chrono>

namespace vq {

// A token bucket: a burst of pokes, then a steady rate.
class PokeBudget {
 public:
  PokeBudget();
  bool take_ready();  // refills by the time passed; whether a poke may cause a rescan now
  void spend();       // a poke woke the waiter
  int ms_until_next() const;

 private:
  void refill();
  double m_tokens;
  std::chrono::steady_clock::time_point m_refilled;
};

}  // namespace vq
