// Invariants 1-3 under SIGKILL at arbitrary moments: launches are killed at random times —
// while starting, while updating the table, while waiting, while holding — and still nobody
// goes over the limit and every survivor is admitted and finishes.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {
namespace {

using SigkillChaosTest = ShimTest;

TEST_F(SigkillChaosTest, RandomKillsNeverBreakTheLimitOrStallSurvivors) {
  constexpr int k_launches = 16;
  constexpr int k_victims = 6;
  const char* seed_text = std::getenv("VQ_MP_SEED");
  const unsigned seed = seed_text ? static_cast<unsigned>(std::atoi(seed_text))
                                  : static_cast<unsigned>(monotonic_ns());
  std::printf("[   INFO   ] seed %u (rerun with VQ_MP_SEED=%u)\n", seed, seed);
  std::mt19937 random(seed);

  std::vector<Process> runs;
  for (int i = 0; i < k_launches; ++i) {
    runs.emplace_back(shim_launch("run" + std::to_string(i),
                                  {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "100"}}));
    // Staggered by 0-30 ms so that kills land in every phase, not only at startup.
    sleep_for_ms(std::uniform_int_distribution<int>(0, 30)(random));
  }

  // Victims and the moments they die, within the time the queue takes to drain.
  std::vector<int> order(k_launches);
  for (int i = 0; i < k_launches; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), random);
  std::set<int> victims(order.begin(), order.begin() + k_victims);
  std::vector<std::pair<int, int>> kills;  // (delay ms, run index)
  for (int victim : victims) {
    kills.emplace_back(std::uniform_int_distribution<int>(0, 600)(random), victim);
  }
  std::sort(kills.begin(), kills.end());

  std::vector<RecordEvent> kill_ends;
  int elapsed = 0;
  for (const auto& [at, index] : kills) {
    sleep_for_ms(at - elapsed);
    elapsed = at;
    const auto killed_at = monotonic_ns();
    runs[index].send(SIGKILL);
    // Reaped at once: unreaped dead waiters are UnreapedKilledWaiterDoesNotStallThoseBehindIt.
    ASSERT_TRUE(runs[index].wait());
    // A victim killed while holding records no end; it held its slot until now at most.
    kill_ends.push_back(
        {RecordEvent::Kind::end, "run" + std::to_string(index), runs[index].pid(), killed_at});
  }

  for (int i = 0; i < k_launches; ++i) {
    const auto status = runs[i].wait(30s);
    ASSERT_TRUE(status) << "run" << i << " hung; stderr: " << runs[i].stderr_text();
    if (victims.count(i) == 0) {
      EXPECT_EQ(describe_status(*status), exited(0))
          << "survivor run" << i << " stderr: " << runs[i].stderr_text();
    }
  }

  auto events = records();
  for (const auto& end : kill_ends) {
    if (find_event(events, RecordEvent::Kind::start, end.id) &&
        !find_event(events, RecordEvent::Kind::end, end.id)) {
      events.push_back(end);
    }
  }
  int survivors_started = 0;
  for (int i = 0; i < k_launches; ++i) {
    if (victims.count(i) == 0 &&
        find_event(events, RecordEvent::Kind::start, "run" + std::to_string(i))) {
      ++survivors_started;
    }
  }
  EXPECT_EQ(survivors_started, k_launches - k_victims);
  EXPECT_LE(max_overlap(events), 2) << read_file(record_path());
}

}  // namespace
}  // namespace vq::mp
