#include "lock_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "temp_dir.h"

namespace vq {
namespace {

// A child process that takes the given slots, reports "ready" on a pipe, then waits to be
// killed. With `fork_grandchild`, it also forks a child that outlives it.
struct SlotChild {
  pid_t pid = -1;
  pid_t grandchild = -1;
};

SlotChild spawn_holder(const std::string& queue, std::vector<int> slots,
                       bool fork_grandchild = false) {
  int ready[2];
  EXPECT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    auto dir = QueueDir::open(queue);
    auto locks = LockFile::open(*dir);
    for (int slot : slots) {
      if (!locks->try_take_slot(slot)) ::_exit(3);
    }
    pid_t grandchild = 0;
    if (fork_grandchild) {
      grandchild = ::fork();
      if (grandchild == 0) {
        ::pause();
        ::_exit(0);
      }
    }
    ssize_t ignored = ::write(ready[1], &grandchild, sizeof grandchild);
    (void)ignored;
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  SlotChild child{pid, -1};
  EXPECT_EQ(::read(ready[0], &child.grandchild, sizeof child.grandchild),
            static_cast<ssize_t>(sizeof child.grandchild));
  ::close(ready[0]);
  return child;
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

std::vector<int> indices(const std::vector<Holder>& holders) {
  std::vector<int> out;
  for (const auto& holder : holders) out.push_back(holder.slot);
  return out;
}

TEST(LockFile, HoldersFindsEverySlotAndItsPidWhateverTheOrder) {
  test::TempDir tmp;
  std::string queue = tmp / "q";
  auto dir = QueueDir::open(queue);
  auto locks = LockFile::open(*dir);
  ASSERT_TRUE(locks.ok());

  SlotChild a = spawn_holder(queue, {9, 2});
  SlotChild b = spawn_holder(queue, {5, 63, 0});
  auto holders = locks->holders(64);
  EXPECT_EQ(indices(holders), (std::vector<int>{0, 2, 5, 9, 63}));
  for (const auto& holder : holders) {
    pid_t expected = (holder.slot == 9 || holder.slot == 2) ? a.pid : b.pid;
    EXPECT_EQ(holder.pid, expected) << "slot " << holder.slot;
  }
  EXPECT_EQ(indices(locks->holders(6)), (std::vector<int>{0, 2, 5}));
  kill_and_reap(a.pid);
  kill_and_reap(b.pid);
}

TEST(LockFile, SlotIsFreeTheMomentItsHolderIsKilled) {
  test::TempDir tmp;
  std::string queue = tmp / "q";
  auto dir = QueueDir::open(queue);
  auto locks = LockFile::open(*dir);
  SlotChild holder = spawn_holder(queue, {3});
  EXPECT_EQ(indices(locks->holders(64)), (std::vector<int>{3}));
  EXPECT_FALSE(locks->try_take_slot(3));
  kill_and_reap(holder.pid);
  EXPECT_TRUE(locks->holders(64).empty());
  EXPECT_TRUE(locks->try_take_slot(3));
}

TEST(LockFile, ForkChildrenOfAHolderDoNotHoldItsSlot) {
  test::TempDir tmp;
  std::string queue = tmp / "q";
  auto dir = QueueDir::open(queue);
  auto locks = LockFile::open(*dir);
  SlotChild holder = spawn_holder(queue, {1}, /*fork_grandchild=*/true);
  ASSERT_GT(holder.grandchild, 0);
  kill_and_reap(holder.pid);
  // The grandchild still runs, with the descriptor inherited, yet the slot is free.
  EXPECT_EQ(::kill(holder.grandchild, 0), 0);
  EXPECT_TRUE(locks->holders(64).empty());
  ::kill(holder.grandchild, SIGKILL);
}

TEST(LockFile, UpdateLockExcludesOtherProcesses) {
  test::TempDir tmp;
  std::string queue = tmp / "q";
  auto dir = QueueDir::open(queue);
  auto locks = LockFile::open(*dir);
  auto guard = locks->lock_update();
  ASSERT_TRUE(guard.ok());
  pid_t child = ::fork();
  if (child == 0) {
    auto child_dir = QueueDir::open(queue);
    auto child_locks = LockFile::open(*child_dir);
    ::_exit(child_locks->lock_update(std::chrono::milliseconds(0)).ok() ? 1 : 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child got the update lock";
}

TEST(LockFile, WaiterMarkNamesItsLiveWaiterAndVanishesWithIt) {
  test::TempDir tmp;
  std::string queue = tmp / "q";
  auto dir = QueueDir::open(queue);
  auto locks = LockFile::open(*dir);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    auto child_dir = QueueDir::open(queue);
    auto child_locks = LockFile::open(*child_dir);
    char ok = child_locks->try_mark_waiter(7) ? 'y' : 'n';
    ssize_t ignored = ::write(ready[1], &ok, 1);
    (void)ignored;
    ::pause();
    ::_exit(0);
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  EXPECT_EQ(locks->waiter_mark_holder(7), child);
  EXPECT_FALSE(locks->waiter_mark_holder(6).has_value());
  EXPECT_FALSE(locks->try_mark_waiter(7));
  EXPECT_TRUE(locks->holders(64).empty()) << "a waiter mark is not a slot";
  kill_and_reap(child);
  EXPECT_FALSE(locks->waiter_mark_holder(7).has_value());
  EXPECT_TRUE(locks->try_mark_waiter(7));
  locks->unmark_waiter(7);
}

TEST(LockFile, DescriptorSitsAboveTheLowNumbersScriptsRedirect) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "q");
  auto locks = LockFile::open(*dir);
  EXPECT_GE(locks->fd(), 900);  // the soft open-file limit here is at least 1024
}

TEST(LockFile, UpdateLockHeldByAStoppedProcessGivesUpNamingIt) {
  test::TempDir tmp;
  std::string queue = tmp / "q";
  auto dir = QueueDir::open(queue);
  auto locks = LockFile::open(*dir);
  pid_t child = ::fork();
  if (child == 0) {
    auto child_dir = QueueDir::open(queue);
    auto child_locks = LockFile::open(*child_dir);
    auto guard = child_locks->lock_update();
    ::raise(SIGSTOP);  // stopped inside an update
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  ASSERT_TRUE(WIFSTOPPED(status));
  auto guard = locks->lock_update(std::chrono::milliseconds(200));
  ASSERT_FALSE(guard.ok());
  EXPECT_NE(guard.error().message.find("pid " + std::to_string(child)), std::string::npos)
      << guard.error().message;
  EXPECT_EQ(guard.error().kind, ErrorKind::lock_stuck);
  EXPECT_NE(guard.error().message.find("(stopped)"), std::string::npos) << guard.error().message;
  kill_and_reap(child);
  EXPECT_TRUE(locks->lock_update(std::chrono::milliseconds(200)).ok());
}

// A burst of launches keeps the lock busy without anyone being stopped: that is contention, and
// is not reported as a stopped or stuck process.
TEST(LockFile, AnUpdateLockThatChangedHandsIsBusyNotStuck) {
  Error busy = update_lock_timeout(101, 202, false, std::chrono::milliseconds(250));
  EXPECT_EQ(busy.kind, ErrorKind::lock_busy);
  EXPECT_EQ(busy.message.find("stuck"), std::string::npos) << busy.message;
  EXPECT_NE(busy.message.find("busy"), std::string::npos) << busy.message;

  Error held = update_lock_timeout(101, 101, false, std::chrono::milliseconds(250));
  EXPECT_EQ(held.kind, ErrorKind::lock_stuck);
  EXPECT_NE(held.message.find("pid 101"), std::string::npos) << held.message;
  Error stopped = update_lock_timeout(101, 202, true, std::chrono::milliseconds(250));
  EXPECT_EQ(stopped.kind, ErrorKind::lock_stuck);
  EXPECT_NE(stopped.message.find("(stopped)"), std::string::npos) << stopped.message;
}

}  // namespace
}  // namespace vq
