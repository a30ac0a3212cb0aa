#include "queue_store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "orphan_holders.h"
#include "temp_dir.h"
#include "wait_session.h"

namespace vq {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The table file mapped on its own, as another process would see it (no lock file opened: closing
// one would drop this process's locks).
SlotTable raw_table(const std::string& queue_path) {
  auto dir = QueueDir::open(queue_path);
  EXPECT_TRUE(dir) << dir.error().message;
  auto table = SlotTable::open(*dir);
  EXPECT_TRUE(table) << table.error().message;
  return std::move(*table);
}

class NullObserver : public WaitObserver {
 public:
  void on_wait_start(const WaitSnapshot&) override { ++starts; }
  void on_progress(const WaitSnapshot&) override {}
  void on_admitted(double) override {}
  int starts = 0;
};

TEST(QueueStore, NewQueueIsSeededWithTheConfiguredLimit) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 3, "info");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(queue->update()->header().limit, 3u);
  EXPECT_NE(read_file(tmp / "q/vitest-queue.log").find("event=created limit=3"), std::string::npos);
}

TEST(QueueStore, ExistingQueueKeepsItsLimitOverTheSeed) {
  test::TempDir tmp;
  { ASSERT_TRUE(QueueStore::open(tmp / "q", 3, "info").ok()); }
  auto again = QueueStore::open(tmp / "q", 1, "info");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->update()->header().limit, 3u);
}

TEST(QueueStore, RandomBytesInTheTableAreRepaired) {
  test::TempDir tmp;
  { ASSERT_TRUE(QueueStore::open(tmp / "q", 2, "info").ok()); }
  {
    std::fstream file(tmp / "q/slots.table", std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 random(7);
    for (std::size_t i = 0; i < sizeof(Table); ++i) file.put(static_cast<char>(random()));
  }
  auto queue = QueueStore::open(tmp / "q", 2, "info");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(queue->update()->header_check(), HeaderCheck::valid);
  EXPECT_NE(read_file(tmp / "q/vitest-queue.log").find("event=repaired"), std::string::npos);
}

TEST(QueueStore, TruncatedTableIsRegrownAndRepaired) {
  test::TempDir tmp;
  { ASSERT_TRUE(QueueStore::open(tmp / "q", 2, "info").ok()); }
  std::filesystem::resize_file(tmp / "q/slots.table", 10);
  auto queue = QueueStore::open(tmp / "q", 2, "info");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(queue->update()->header_check(), HeaderCheck::valid);
}

TEST(QueueStore, NewerLayoutIsRefusedNotOverwritten) {
  test::TempDir tmp;
  {
    ASSERT_TRUE(QueueStore::open(tmp / "q", 2, "info").ok());
    raw_table(tmp / "q").table().header.version = k_table_version + 1;
  }
  auto queue = QueueStore::open(tmp / "q", 2, "info");
  ASSERT_FALSE(queue.ok());
  EXPECT_NE(queue.error().message.find("newer"), std::string::npos);
}

TEST(QueueStore, UncontendedAcquireIsImmediateAndSilent) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 1, "info");
  ASSERT_TRUE(queue.ok());
  NullObserver observer;
  RunInfo run{self_identity(), Agent{"agent-1", true}, "/tmp", "vitest run"};
  auto acquired = acquire(*queue, run, AcquireOptions{}, observer);
  ASSERT_TRUE(acquired.ok());
  EXPECT_EQ(acquired->outcome, Acquired::Outcome::admitted);
  EXPECT_EQ(acquired->slot, 0);
  EXPECT_EQ(observer.starts, 0);
  SlotTable table = raw_table(tmp / "q");
  const SlotRecord& record = table.table().slots[0];
  EXPECT_TRUE(is_valid(record));
  EXPECT_EQ(record.pid, ::getpid());
  EXPECT_EQ(get_text(record.agent), "agent-1");
  EXPECT_EQ(get_text(record.command), "vitest run");
}

RunInfo me_as(const std::string& agent) {
  return RunInfo{self_identity(), Agent{agent, false}, "/tmp", "vitest run"};
}

// A pid above any pid_max: no process has it.
constexpr pid_t k_no_such_pid = 0x7ffffff0;

TEST(QueueStore, APassTakesAPlaceWithItsTicketAndLeavesIt) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  auto pass = queue->update();
  ASSERT_TRUE(pass.ok()) << pass.error().message;
  EXPECT_TRUE(pass->nobody_waits());
  RunInfo run = me_as("a");
  std::uint64_t first = pass->take_ticket();
  std::uint64_t second = pass->take_ticket();
  EXPECT_LT(first, second);
  int place = pass->take_place(run, second, wall_ms(), -1);
  ASSERT_GE(place, 0);
  EXPECT_TRUE(pass->holds_place(place, run, second));
  EXPECT_FALSE(pass->holds_place(place, run, first));
  EXPECT_EQ(pass->used_waiter_records(), 1);
  EXPECT_FALSE(pass->nobody_waits());
  EXPECT_EQ(pass->line_around(Standing{Priority::normal, 0, 1000, first, "a"}, -1, wall_ms())
                .behind.size(),
            1u);
  EXPECT_TRUE(pass->line_around(pass->standing(place), place, wall_ms()).ahead.empty());
  pass->leave_place(place);
  EXPECT_EQ(pass->used_waiter_records(), 0);
}

// Waiters are ordered by ticket whatever their records' places, and one whose process is gone
// is judged dead and cleared, so it holds nobody up.
TEST(QueueStore, WaitersAheadComeInTicketOrderAndAGoneOneIsCleared) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok());
  {
    SlotTable table = raw_table(tmp / "q");
    Table& t = table.table();
    for (int i : {5, 2}) {
      WaiterRecord& w = t.waiters[i];
      w.state = RecordState::used;
      w.pid = k_no_such_pid - i;
      w.start_time = 1;
      w.ticket = static_cast<std::uint64_t>(10 - i);  // record 5 has the older ticket
      w.level = static_cast<std::uint32_t>(Priority::normal);
      w.age_bound_ms = 60'000;
      set_text(w.agent, "ghost");
      seal(w);
    }
    t.header.next_ticket = 20;
  }
  auto pass = queue->update();
  ASSERT_TRUE(pass.ok());
  const Standing me{Priority::normal, wall_ms(), 60'000, 20, "me"};
  auto ahead = pass->line_around(me, -1, wall_ms()).ahead;
  ASSERT_EQ(ahead.size(), 2u);
  EXPECT_EQ(ahead[0].index, 5);
  EXPECT_EQ(ahead[1].index, 2);
  EXPECT_EQ(ahead[0].claimant.agent, "ghost");
  EXPECT_EQ(pass->waiter_state(5, "test"), WaiterState::dead);
  EXPECT_EQ(pass->line_around(me, -1, wall_ms()).ahead.size(), 1u);
}

TEST(QueueStore, ATicketTakenAfterARebuildStillComesAfterTheWaitersQueued) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok());
  auto pass = queue->update();
  ASSERT_TRUE(pass.ok());
  pass->rebuild(2, false);
  ASSERT_GE(pass->take_place(me_as("a"), 500, wall_ms(), -1), 0);
  EXPECT_GT(pass->take_ticket(), 500u);
}

TEST(QueueStore, ClaimingASlotWritesItsRecordAndHandsNoSlotTwice) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok());
  auto pass = queue->update();
  ASSERT_TRUE(pass.ok());
  ASSERT_TRUE(pass->claim_slot(1, me_as("a")));
  TableSnapshot snapshot = pass->snapshot();
  EXPECT_EQ(snapshot.table->slots[1].pid, ::getpid());
  EXPECT_EQ(get_text(snapshot.table->slots[1].agent), "a");
  // The kernel does not report a process's own locks to it: its own holder is counted from its
  // record, as any live holder whose lock this lock file does not show.
  ASSERT_EQ(snapshot.holders.size(), 1u);
  EXPECT_EQ(snapshot.holders[0].slot, 1);
  EXPECT_FALSE(snapshot.holders[0].lock_seen);
  EXPECT_EQ(snapshot.holders[0].agent, "a");
}

TEST(QueueStore, RemovingStaleRecordsClearsTheGoneAndKeepsTheRest) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok());
  {
    SlotTable table = raw_table(tmp / "q");
    SlotRecord& gone = table.table().slots[0];
    gone.state = RecordState::used;
    gone.pid = k_no_such_pid;
    gone.start_time = 1;
    set_text(gone.agent, "ghost");
    seal(gone);
    WaiterRecord& torn = table.table().waiters[3];
    torn.state = RecordState::used;
    torn.pid = 5;
  }
  auto pass = queue->update();
  ASSERT_TRUE(pass.ok());
  auto removed = pass->remove_stale("test");
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_TRUE(removed[0].holder);
  EXPECT_EQ(removed[0].pid, k_no_such_pid);
  EXPECT_EQ(removed[0].agent, "ghost");
  EXPECT_FALSE(removed[0].torn);
  EXPECT_FALSE(removed[1].holder);
  EXPECT_TRUE(removed[1].torn);
  EXPECT_TRUE(pass->remove_stale("test").empty());
}

TEST(QueueStore, HeaderChangesAreSeenByTheNextPass) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok());
  {
    auto pass = queue->update();
    ASSERT_TRUE(pass.ok());
    pass->set_limit(5);
    pass->set_paused(true);
  }
  auto pass = queue->update();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->limit(), 5);
  EXPECT_TRUE(pass->paused());
}

// An age-based /tmp cleaner removes files by their times: a queue in use keeps them fresh.
TEST(QueueStore, OpeningAQueueFreshensFilesAnHourOld) {
  test::TempDir tmp;
  { ASSERT_TRUE(QueueStore::open(tmp / "q", 2, "off").ok()); }
  const std::string lock = tmp / "q/slots.lock";
  const std::string table = tmp / "q/slots.table";
  const timespec old[2] = {{::time(nullptr) - 10 * 86400, 0}, {::time(nullptr) - 10 * 86400, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, lock.c_str(), old, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, table.c_str(), old, 0), 0);
  ASSERT_TRUE(QueueStore::open(tmp / "q", 2, "off").ok());
  for (const std::string& path : {lock, table}) {
    struct stat file {};
    ASSERT_EQ(::stat(path.c_str(), &file), 0);
    EXPECT_GT(file.st_mtime, ::time(nullptr) - 60) << path;
    EXPECT_GT(file.st_atime, ::time(nullptr) - 60) << path;
  }
}

TEST(QueueStore, AStoreNoticesItsLockFileRemovedOrReplaced) {
  test::TempDir tmp;
  auto queue = QueueStore::open(tmp / "q", 2, "off");
  ASSERT_TRUE(queue.ok());
  EXPECT_TRUE(queue->in_place());
  ASSERT_EQ(::unlink((tmp / "q/slots.lock").c_str()), 0);
  EXPECT_FALSE(queue->in_place());
  ASSERT_TRUE(queue->reopen("test").ok());
  EXPECT_TRUE(queue->in_place());
}

TEST(OrphanHolders, OnlyOneByteWriteLocksOnSlotBytesAreSlotLocks) {
  const std::string text =
      "1: POSIX  ADVISORY  WRITE 4242 fe:00:1234 3 3\n"
      "2: POSIX  ADVISORY  WRITE 4243 fe:00:1234 0 0\n"
      "3: POSIX  ADVISORY  READ 4244 fe:00:1234 2 2\n"
      "4: FLOCK  ADVISORY  WRITE 4245 fe:00:1234 0 EOF\n"
      "5: POSIX  ADVISORY  WRITE 4246 fe:00:1234 1030 1030\n"
      "5: -> POSIX  ADVISORY  WRITE 4247 fe:00:1234 1 1\n";
  auto locks = parse_slot_locks(text, 64);
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].pid, 4242);
  EXPECT_EQ(locks[0].inode, 1234u);
  EXPECT_EQ(locks[0].start, 3);
}

}  // namespace
}  // namespace vq
