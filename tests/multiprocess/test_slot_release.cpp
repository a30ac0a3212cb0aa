// Invariants 2 and 4: a dead holder's slot is free at once; a dead waiter stalls nobody; the
// processes a holder leaves behind (workers, servers) do not keep its slot.
#include <signal.h>

#include <cstdio>

#include "process_harness.h"

namespace vq::mp {
namespace {

using SlotReleaseTest = ShimTest;

constexpr std::int64_t k_prompt_ns = 2'000'000'000;  // generous: catches polling, not noise

TEST_F(SlotReleaseTest, SigkillOfHolderAdmitsNextWaiterPromptly) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  // The holder is the fake itself under the shim's pid: the shim exec'd, it did not fork.
  ASSERT_EQ(resolved_exe(holder.pid()), real_path(fake_vitest_path()));
  Process waiter = start_waiter("waiter", {{"VQ_MAX_PROCESSES", "1"}});

  const auto killed_at = monotonic_ns();
  holder.send(SIGKILL);
  // The dead holder is deliberately not reaped yet: a zombie must not hold a slot either.
  ASSERT_TRUE(eventually([&] { return has_started("waiter"); }, 10s))
      << "waiter not admitted within 10 s of the holder's SIGKILL; stderr: "
      << waiter.stderr_text();
  const auto admitted = find_event(records(), RecordEvent::Kind::start, "waiter");
  const auto handoff_ns = admitted->ns - killed_at;
  std::printf("[   INFO   ] handoff after SIGKILL of the holder: %.3f ms\n", handoff_ns / 1e6);
  RecordProperty("handoff_us", static_cast<int>(handoff_ns / 1000));
  EXPECT_LT(handoff_ns, k_prompt_ns);

  const auto holder_status = holder.wait();
  ASSERT_TRUE(holder_status);
  EXPECT_EQ(describe_status(*holder_status), killed_by(SIGKILL));
  const auto waiter_status = waiter.wait();
  ASSERT_TRUE(waiter_status);
  EXPECT_EQ(describe_status(*waiter_status), exited(0));
}

TEST_F(SlotReleaseTest, SigkillOfWaiterDoesNotStallThoseBehindIt) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process doomed = start_waiter("doomed", {{"VQ_MAX_PROCESSES", "1"}});
  Process behind = start_waiter("behind", {{"VQ_MAX_PROCESSES", "1"}});

  // Still the shim (waiting), not yet the fake.
  ASSERT_EQ(resolved_exe(doomed.pid()), real_path(shim_path()));
  doomed.send(SIGKILL);
  const auto doomed_status = doomed.wait();
  ASSERT_TRUE(doomed_status);
  EXPECT_EQ(describe_status(*doomed_status), killed_by(SIGKILL));

  sleep_for_ms(100);
  EXPECT_FALSE(has_started("behind")) << "admitted while the holder still held the only slot";

  const auto released_at = monotonic_ns();
  holder.send(SIGTERM);
  ASSERT_TRUE(eventually([&] { return has_started("behind"); }, 10s))
      << "the waiter behind a killed waiter was not admitted; stderr: " << behind.stderr_text();
  const auto admitted = find_event(records(), RecordEvent::Kind::start, "behind");
  std::printf("[   INFO   ] handoff past a killed waiter: %.3f ms\n",
              (admitted->ns - released_at) / 1e6);
  EXPECT_LT(admitted->ns - released_at, k_prompt_ns);

  const auto behind_status = behind.wait();
  ASSERT_TRUE(behind_status);
  EXPECT_EQ(describe_status(*behind_status), exited(0));
  EXPECT_FALSE(has_started("doomed"));
}

// A killed waiter whose parent does not reap it (a busy parent, or a container whose pid 1
// never reaps) stays a zombie: it is dead all the same and must not keep its place.
TEST_F(SlotReleaseTest, UnreapedKilledWaiterDoesNotStallThoseBehindIt) {
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process zombie = start_waiter("zombie", {{"VQ_MAX_PROCESSES", "1"}});
  Process behind = start_waiter("behind", {{"VQ_MAX_PROCESSES", "1"}});

  zombie.send(SIGKILL);
  ASSERT_TRUE(eventually([&] { return process_state(zombie.pid()) == 'Z'; }, 10s));

  // While the holder still holds, the waiter behind must sleep, not spin on the dead one.
  const long cpu_before = cpu_time_ms(behind.pid());
  sleep_for_ms(1000);
  const long cpu_spent = cpu_time_ms(behind.pid()) - cpu_before;
  std::printf("[   INFO   ] CPU used in 1 s by a waiter behind an unreaped dead waiter: %ld ms\n",
              cpu_spent);
  EXPECT_LT(cpu_spent, 300) << "the waiter spins while a dead waiter is ahead of it";

  const auto released_at = monotonic_ns();
  holder.send(SIGTERM);
  ASSERT_TRUE(eventually([&] { return has_started("behind"); }, 5s))
      << "the waiter behind an unreaped dead waiter was not admitted within 5 s";
  const auto start = find_event(records(), RecordEvent::Kind::start, "behind");
  std::printf("[   INFO   ] handoff past an unreaped killed waiter: %.3f ms\n",
              (start->ns - released_at) / 1e6);
  EXPECT_LT(start->ns - released_at, k_prompt_ns);
  const auto status = behind.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
}

TEST_F(SlotReleaseTest, ProcessesLeftBehindByAHolderDoNotKeepItsSlot) {
  Process holder = start_holder(
      "holder",
      {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}, {"FAKE_ORPHAN_MS", "15000"}});
  Process waiter = start_waiter("waiter", {{"VQ_MAX_PROCESSES", "1"}});

  const auto ended_at = monotonic_ns();
  holder.send(SIGTERM);
  ASSERT_TRUE(holder.wait());
  // The holder's child is still alive in its process group...
  ASSERT_EQ(::kill(-holder.pid(), 0), 0) << "the holder's child is gone; the test proves nothing";
  // ...and yet the slot is free.
  const bool admitted = eventually([&] { return has_started("waiter"); }, 10s);
  ::kill(-holder.pid(), SIGKILL);
  ASSERT_TRUE(admitted) << "the holder's child kept the slot; stderr: " << waiter.stderr_text();
  const auto start = find_event(records(), RecordEvent::Kind::start, "waiter");
  EXPECT_LT(start->ns - ended_at, k_prompt_ns);
  const auto status = waiter.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0));
}

}  // namespace
}  // namespace vq::mp
