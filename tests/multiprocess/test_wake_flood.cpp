// A group member (or any process that can open the queue's FIFOs) poking them in a loop must not
// make waiters burn CPU: each poke is a rescan under the update lock, so the rescans a poke can
// cause are bounded. Measured by the waiter's own CPU time in /proc, not by asking vq.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

using WakeFloodTest = ShimTest;

// Opens and closes the write end of every FIFO in `dir` for `ms`, as fast as it can.
pid_t start_poker(const std::string& dir, int ms) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    DIR* entries = ::opendir(dir.c_str());
    while (dirent* entry = entries != nullptr ? ::readdir(entries) : nullptr) {
      std::string name = entry->d_name;
      if (name != "wake" && name.rfind("wake-", 0) != 0) continue;
      int fd = ::open((dir + "/" + name).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) ::close(fd);
    }
    if (entries != nullptr) ::closedir(entries);
  }
  ::_exit(0);
}

TEST_F(WakeFloodTest, PokingTheFifosInALoopCostsAWaiterLittleCpu) {
  const Env limit_one{{"VQ_MAX_PROCESSES", "1"}, {"VQ_QUEUE_TIMEOUT", "60"}};
  Env holding = limit_one;
  holding["FAKE_SLEEP_MS"] = "30000";
  Process holder = start_holder("holder", holding);
  Env waiting = limit_one;
  waiting["FAKE_SLEEP_MS"] = "10";
  Process waiter = start_waiter("waiter", waiting);
  const long cpu_before = cpu_time_ms(waiter.pid());

  constexpr int k_flood_ms = 2000;
  pid_t poker = start_poker(queue_dir(), k_flood_ms);
  int poker_status = 0;
  ASSERT_EQ(::waitpid(poker, &poker_status, 0), poker);
  const long cpu_used = cpu_time_ms(waiter.pid()) - cpu_before;
  std::printf("[   INFO   ] waiter CPU during a %d ms FIFO flood: %ld ms\n", k_flood_ms, cpu_used);
  // Unbounded, each poke was a rescan: the waiter used about 40 % of a core here.
  EXPECT_LT(cpu_used, k_flood_ms / 10);

  // Still waiting, and still admitted in turn once the holder ends.
  EXPECT_FALSE(waiter.has_exited());
  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << waiter.stderr_text();
}

}  // namespace
}  // namespace vq::mp
