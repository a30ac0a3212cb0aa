// Invariants 1-3 under a storm of SIGKILLs: hundreds of launches at limit 4 while launches are
// killed starting, waiting, holding, and stopped inside a table update (the hooked test shim).
// Pass: never more than 4 at once by either observer, every survivor admitted and finished, no
// hang, no crash, and afterwards 4 fresh launches are admitted at once while a 5th waits (no
// slot was lost).
//
//   VQ_CHAOS_LAUNCHES=N   launches in the storm (default 400: the CI size; 2000 for the long run,
//                         tests/reliability/chaos_long.sh)
//   VQ_MP_SEED=S          replay a storm's random choices
//   VQ_CHAOS_REPORT=path  also write the figures there, one "key value" per line
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "chaos_storm.h"
#include "process_harness.h"

namespace vq::mp {
namespace {

constexpr int k_limit = 4;

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

struct FreshCheck {
  int admitted = 0;  // of k_limit fresh launches, within 2 s
  double admit_s = 0;
  bool fifth_waited = false;
  int lost_slots() const { return k_limit - admitted; }
};

class ChaosTest : public ShimTest {
 protected:
  StormOptions storm_options(int launches, unsigned seed, const Env& overrides = {}) const {
    StormOptions options;
    options.launches = launches;
    options.limit = k_limit;
    options.seed = seed;
    options.shim = VQ_HOOKED_SHIM_PATH;
    // A generous queue timeout: a launch that times out has waited through a lost slot or a hang.
    Env env{{"VQ_MAX_PROCESSES", std::to_string(k_limit)}, {"VQ_QUEUE_TIMEOUT", "120"}};
    apply_overrides(env, overrides);
    options.env = env_for("", env);
    options.tmp = tmp();
    options.record_path = record_path();
    options.lock_path = queue_dir() + "/slots.lock";
    return options;
  }

  // With the queue otherwise idle: k_limit fresh launches (the production shim) must all be
  // admitted at once, and one more must wait.
  FreshCheck check_fresh_admissions() {
    FreshCheck check;
    std::vector<Process> fresh;
    const auto started = monotonic_ns();
    for (int i = 0; i < k_limit; ++i) {
      fresh.emplace_back(shim_launch("fresh" + std::to_string(i), {{"FAKE_SLEEP_MS", "30000"}}));
    }
    eventually(
        [&] {
          check.admitted = 0;
          for (int i = 0; i < k_limit; ++i)
            check.admitted += has_started("fresh" + std::to_string(i));
          return check.admitted == k_limit;
        },
        2s);
    check.admit_s = static_cast<double>(monotonic_ns() - started) / 1e9;
    if (check.admitted == k_limit) {
      Process fifth(shim_launch("fifth", {{"VQ_QUEUE_TIMEOUT", "1"}}));
      const auto status = fifth.wait();
      check.fifth_waited =
          status && describe_status(*status) == exited(75) && !has_started("fifth");
    }
    for (Process& run : fresh) run.send(SIGKILL);
    return check;
  }
};

unsigned seed_from_env() {
  const char* seed_text = std::getenv("VQ_MP_SEED");
  return seed_text ? static_cast<unsigned>(std::atoi(seed_text))
                   : static_cast<unsigned>(monotonic_ns());
}

int kills_of(const StormFigures& storm, const char* phase) {
  auto it = storm.kills.find(phase);
  return it == storm.kills.end() ? 0 : it->second;
}

TEST_F(ChaosTest, StormOfKillsNeverExceedsTheLimitLosesNoSlotAndEndsEveryLaunch) {
  const int launches = env_int("VQ_CHAOS_LAUNCHES", 400);
  const unsigned seed = seed_from_env();
  std::printf("[   INFO   ] seed %u (rerun with VQ_MP_SEED=%u), %d launches\n", seed, seed,
              launches);

  const StormFigures storm = run_storm(storm_options(launches, seed));
  const FreshCheck fresh = check_fresh_admissions();

  std::string figures = storm.summary();
  figures += "lost-slots " + std::to_string(fresh.lost_slots()) + "\n";
  figures += "fresh-admitted-s " + std::to_string(fresh.admit_s) + "\n";
  figures += "fifth-waited " + std::string(fresh.fifth_waited ? "yes" : "no") + "\n";
  figures += "seed " + std::to_string(seed) + "\n";
  figures += "# slowest handoff: " + storm.slowest_handoff + "\n";
  std::printf("%s", figures.c_str());
  if (const char* report = std::getenv("VQ_CHAOS_REPORT")) std::ofstream(report) << figures;
  std::string problems;
  for (const std::string& problem : storm.problems) problems += problem + "\n";

  EXPECT_EQ(storm.launches, launches);
  EXPECT_LE(storm.max_overlap, k_limit) << "records:\n" << read_file(record_path());
  EXPECT_EQ(storm.overshoots, 0);
  EXPECT_LE(storm.max_sampled, k_limit);
  EXPECT_EQ(storm.hangs, 0) << problems;
  EXPECT_EQ(storm.crashes, 0) << problems;
  EXPECT_EQ(storm.survivors_started, storm.survivors);
  // Generous, a hang catcher: handoffs take milliseconds (the figure is printed); a lost slot
  // charges the next waiter from the moment it was lost.
  EXPECT_LT(storm.slowest_handoff_ms, 3000) << storm.slowest_handoff;
  EXPECT_EQ(fresh.lost_slots(), 0)
      << "only " << fresh.admitted << " of " << k_limit << " fresh launches admitted within 2 s";
  EXPECT_TRUE(fresh.fifth_waited) << "a 5th launch did not wait: "
                                  << read_file(tmp() + "/fifth.err");
  // The storm really was one: every kind of kill happened, and the queue was full at times.
  // A kill lands "starting" only when it beats the launch into the queue (within 3 ms of its
  // spawn), which a fast or idle machine may not allow in 400 launches: reported, not required
  // (CI saw 0 once with every invariant intact). The long run counts them (docs/RELIABILITY.md).
  if (kills_of(storm, "starting") == 0) {
    std::printf("[   NOTE   ] no launch was killed while still starting in this storm\n");
  }
  EXPECT_GT(kills_of(storm, "waiting"), 0);
  EXPECT_GT(kills_of(storm, "holder"), 0);
  EXPECT_GT(kills_of(storm, "in-update"), 0);
  EXPECT_GT(storm.paused_holding_update_lock, 0) << "no launch was seen stopped in an update";
  EXPECT_EQ(storm.max_overlap, k_limit) << "the storm never filled the queue";
}

// Controls: the observers and the lost-slot check can fail.

TEST_F(ChaosTest, ControlObserversSeeTheOvershootOfLaunchesThatBypassTheQueue) {
  StormOptions options = storm_options(30, seed_from_env(), {{"VQ_DISABLE", "1"}});
  options.pause_share = 0;  // a bypassing launch never enters an update
  options.victim_share = 0;
  options.snipe_chance = 0;
  options.fixed_sleep_ms = 1000;  // long enough to overlap however slowly launches start
  const StormFigures storm = run_storm(options);
  std::printf("[   INFO   ] bypassing launches: max overlap %d (records), %d (sampled)\n",
              storm.max_overlap, storm.max_sampled);
  EXPECT_GT(storm.max_overlap, k_limit) << storm.summary();
  EXPECT_GT(storm.overshoots, 0) << storm.summary();
  EXPECT_GT(storm.max_sampled, k_limit) << storm.summary();
}

TEST_F(ChaosTest, ControlASlotHeldByAStrayLockIsCountedAsLost) {
  Process first(shim_launch("first", {{"VQ_MAX_PROCESSES", std::to_string(k_limit)}}));
  ASSERT_TRUE(first.wait());
  // A process outside vq takes slot 0's lock byte, as a leaked slot would look.
  const pid_t stray = ::fork();
  ASSERT_GE(stray, 0);
  if (stray == 0) {
    const int fd = ::open((queue_dir() + "/slots.lock").c_str(), O_RDWR);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 1;  // slot 0
    lock.l_len = 1;
    if (fd < 0 || ::fcntl(fd, F_SETLK, &lock) != 0) _exit(1);
    ::pause();
    _exit(0);
  }
  const int probe_fd = ::open((queue_dir() + "/slots.lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(probe_fd, 0);
  EXPECT_TRUE(eventually([&] {
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 1;
    probe.l_len = 1;
    return ::fcntl(probe_fd, F_GETLK, &probe) == 0 && probe.l_pid == stray;
  }));
  ::close(probe_fd);
  const FreshCheck fresh = check_fresh_admissions();
  ::kill(stray, SIGKILL);
  int status = 0;
  ::waitpid(stray, &status, 0);
  std::printf("[   INFO   ] stray lock: %d of %d fresh launches admitted\n", fresh.admitted,
              k_limit);
  EXPECT_EQ(fresh.lost_slots(), 1);
}

}  // namespace
}  // namespace vq::mp
