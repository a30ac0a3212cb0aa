#include "wake_signal.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "queue_dir.h"
#include "temp_dir.h"

namespace vq {
namespace {

bool woken(const WakeListener& listener) {
  pollfd fd{listener.fd(), POLLIN, 0};
  return ::poll(&fd, 1, 0) == 1;
}

TEST(WakeSignal, ListenerSleepsUntilWokenAndSleepsAgainAfterRearm) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  WakeListener listener(*dir);
  ASSERT_GE(listener.fd(), 0);
  EXPECT_FALSE(woken(listener));

  wake_waiters(*dir);
  EXPECT_TRUE(woken(listener));
  EXPECT_TRUE(woken(listener)) << "stays readable until rearmed, so no wake-up is lost";

  listener.rearm();
  EXPECT_FALSE(woken(listener));
  wake_waiters(*dir);
  EXPECT_TRUE(woken(listener));
}

TEST(WakeSignal, WakingOneWaiterWakesItAloneUntilItRearms) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir) << dir.error().message;
  WakeListener everyone(*dir);
  WakeListener third(*dir, turn_fifo_name(3));
  WakeListener fourth(*dir, turn_fifo_name(4));
  ASSERT_GE(third.fd(), 0);
  ASSERT_GE(fourth.fd(), 0);

  wake_waiter(*dir, 3);
  EXPECT_TRUE(woken(third));
  EXPECT_FALSE(woken(fourth)) << "a holder's exit must not wake waiters whose turn it is not";
  EXPECT_FALSE(woken(everyone));

  third.rearm();
  EXPECT_FALSE(woken(third));
  wake_waiter(*dir, 3);
  EXPECT_TRUE(woken(third));
  wake_waiters(*dir);
  EXPECT_TRUE(woken(everyone));
  EXPECT_FALSE(woken(fourth)) << "the shared FIFO and the per-waiter ones are separate";
}

TEST(WakeSignal, WakingWithoutListenersIsHarmless) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir);
  wake_waiters(*dir);
  WakeListener listener(*dir);
  EXPECT_FALSE(woken(listener)) << "a wake before the listener opened is not seen";
}

TEST(WakeSignal, ARegularFileInPlaceOfTheFifoLeavesTheListenerOnTheTick) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "queue");
  ASSERT_TRUE(dir);
  auto file = dir->open_file(k_wake_file, O_RDWR);
  ASSERT_TRUE(file);
  ::close(*file);
  WakeListener listener(*dir);
  EXPECT_EQ(listener.fd(), -1);
}

}  // namespace
}  // namespace vq
