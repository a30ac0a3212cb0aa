#include "live_figures.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace vq {
namespace {

class LiveFiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_path = std::filesystem::temp_directory_path() / ("vq-live-" + std::to_string(::getpid()));
  }
  void TearDown() override { std::filesystem::remove_all(m_path); }
  std::filesystem::path m_path;
};

TEST_F(LiveFiguresTest, ReaderSeesTheWatchersFiguresForThatRunOnly) {
  auto dir = QueueDir::open(m_path.string());
  ASSERT_TRUE(dir);
  auto writer = LiveFiguresFile::open(*dir);
  auto reader = LiveFiguresFile::open(*dir);
  ASSERT_TRUE(writer && reader);
  const ProcessIdentity run{4242, 99};
  EXPECT_FALSE(reader->read(2, run)) << "nothing written yet";
  writer->write(2, run, LiveFigures{100, 150, false, 2500, 1});
  auto seen = reader->read(2, run);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->memory_bytes, 100);
  EXPECT_EQ(seen->peak_memory_bytes, 150);
  EXPECT_EQ(seen->cpu_ms, 2500);
  EXPECT_FALSE(reader->read(2, ProcessIdentity{4242, 100})) << "the pid reused by another run";
  EXPECT_FALSE(reader->read(3, run)) << "another slot";
  struct stat st {};
  ASSERT_EQ(::stat((m_path / k_live_figures_file).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LiveFiguresTest, TheClusterPermitTravelsBesideTheRssFlag) {
  auto dir = QueueDir::open(m_path.string());
  ASSERT_TRUE(dir);
  auto live = LiveFiguresFile::open(*dir);
  ASSERT_TRUE(live);
  const ProcessIdentity run{77, 5};
  for (int permit : {0, 1, 2, 3}) {
    for (bool rss : {false, true}) {
      LiveFigures figures{10, 20, rss, 30, 40};
      figures.cluster_permit = permit;
      live->write(0, run, figures);
      auto seen = live->read(0, run);
      ASSERT_TRUE(seen);
      EXPECT_EQ(seen->cluster_permit, permit);
      EXPECT_EQ(seen->memory_is_rss, rss);
    }
  }
}

}  // namespace
}  // namespace vq
