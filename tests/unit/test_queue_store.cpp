#include "queue_store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

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

}  // namespace
}  // namespace vq
