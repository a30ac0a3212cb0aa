#include "queue.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "temp_dir.h"

namespace vq {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class NullObserver : public WaitObserver {
 public:
  void on_wait_start(const WaitSnapshot&) override { ++starts; }
  void on_progress(const WaitSnapshot&) override {}
  void on_admitted(double) override {}
  int starts = 0;
};

TEST(Queue, NewQueueIsSeededWithTheConfiguredLimit) {
  test::TempDir tmp;
  auto queue = Queue::open(tmp / "q", 3, "info");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(queue->table().table().header.limit, 3u);
  EXPECT_NE(read_file(tmp / "q/vitest-queue.log").find("event=created limit=3"), std::string::npos);
}

TEST(Queue, ExistingQueueKeepsItsLimitOverTheSeed) {
  test::TempDir tmp;
  { ASSERT_TRUE(Queue::open(tmp / "q", 3, "info").ok()); }
  auto again = Queue::open(tmp / "q", 1, "info");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->table().table().header.limit, 3u);
}

TEST(Queue, RandomBytesInTheTableAreRepaired) {
  test::TempDir tmp;
  { ASSERT_TRUE(Queue::open(tmp / "q", 2, "info").ok()); }
  {
    std::fstream file(tmp / "q/slots.table", std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 random(7);
    for (std::size_t i = 0; i < sizeof(Table); ++i) file.put(static_cast<char>(random()));
  }
  auto queue = Queue::open(tmp / "q", 2, "info");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(check_header(queue->table().table().header), HeaderCheck::valid);
  EXPECT_NE(read_file(tmp / "q/vitest-queue.log").find("event=repaired"), std::string::npos);
}

TEST(Queue, TruncatedTableIsRegrownAndRepaired) {
  test::TempDir tmp;
  { ASSERT_TRUE(Queue::open(tmp / "q", 2, "info").ok()); }
  std::filesystem::resize_file(tmp / "q/slots.table", 10);
  auto queue = Queue::open(tmp / "q", 2, "info");
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(check_header(queue->table().table().header), HeaderCheck::valid);
}

TEST(Queue, NewerLayoutIsRefusedNotOverwritten) {
  test::TempDir tmp;
  {
    auto queue = Queue::open(tmp / "q", 2, "info");
    queue->table().table().header.version = k_table_version + 1;
  }
  auto queue = Queue::open(tmp / "q", 2, "info");
  ASSERT_FALSE(queue.ok());
  EXPECT_NE(queue.error().message.find("newer"), std::string::npos);
}

TEST(Queue, UncontendedAcquireIsImmediateAndSilent) {
  test::TempDir tmp;
  auto queue = Queue::open(tmp / "q", 1, "info");
  ASSERT_TRUE(queue.ok());
  NullObserver observer;
  RunInfo run{self_identity(), Agent{"agent-1", true}, "/tmp", "vitest run"};
  auto acquired = queue->acquire(run, AcquireOptions{}, observer);
  ASSERT_TRUE(acquired.ok());
  EXPECT_EQ(acquired->outcome, Acquired::Outcome::admitted);
  EXPECT_EQ(acquired->slot, 0);
  EXPECT_EQ(observer.starts, 0);
  const SlotRecord& record = queue->table().table().slots[0];
  EXPECT_TRUE(is_valid(record));
  EXPECT_EQ(record.pid, ::getpid());
  EXPECT_EQ(get_text(record.agent), "agent-1");
  EXPECT_EQ(get_text(record.command), "vitest run");
}

}  // namespace
}  // namespace vq
