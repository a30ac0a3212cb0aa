#include "history_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "env_map.h"
#include "temp_dir.h"

namespace vq::history {
namespace {

using test::lookup_in;

TEST(HistoryPath, VqHistoryWinsOverEveryDefault) {
  auto config = load_config(lookup_in({{"VQ_HISTORY", "/data/runs.sqlite"}, {"VQ_GROUP", "0"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto place = history_place(*config);
  ASSERT_TRUE(place.ok()) << place.error().message;
  EXPECT_EQ(place->path, "/data/runs.sqlite");
  EXPECT_EQ(place->warning, "");
}

TEST(HistoryPath, VqHistoryMustBeAnAbsoluteFilePath) {
  for (const char* bad : {"runs.sqlite", "/data/"}) {
    auto config = load_config(lookup_in({{"VQ_HISTORY", bad}}));
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.error().message.find("VQ_HISTORY"), std::string::npos);
    EXPECT_NE(config.error().message.find("absolute path"), std::string::npos);
  }
}

TEST(HistoryPath, PrivateHistoryLivesInTheStateDirectoryMadeOwnerOnly) {
  test::TempDir dir;
  auto config = load_config(lookup_in({{"XDG_STATE_HOME", dir / "state"}}));
  ASSERT_TRUE(config.ok());
  auto place = history_place(*config);
  ASSERT_TRUE(place.ok()) << place.error().message;
  EXPECT_EQ(place->path, dir / "state/vq/history.sqlite");
  struct stat made {};
  ASSERT_EQ(::stat((dir / "state/vq").c_str(), &made), 0);
  EXPECT_EQ(made.st_mode & 07777, 0700u);
}

TEST(HistoryPath, ARelativeXdgStateHomeIsIgnoredForHome) {
  auto config = load_config(lookup_in({{"XDG_STATE_HOME", "state"}, {"HOME", "/home/u"}}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->state_home, "/home/u/.local/state");
}

TEST(HistoryPath, WithoutHomeOrStateHomeTheErrorNamesTheFix) {
  auto config = load_config(lookup_in({}));
  ASSERT_TRUE(config.ok());
  auto place = history_place(*config);
  ASSERT_FALSE(place.ok());
  EXPECT_NE(place.error().message.find("VQ_HISTORY"), std::string::npos) << place.error().message;
}

TEST(HistoryPath, AGroupPlaceThatCannotBeUsedFallsBackToThePrivateOneWithAWarning) {
  test::TempDir dir;
  // A group the caller is not in: its directory is refused before anything is created.
  gid_t foreign = 64999;
  ASSERT_NE(::getegid(), foreign);
  auto config = load_config(
      lookup_in({{"XDG_STATE_HOME", dir / "state"}, {"VQ_GROUP", std::to_string(foreign)}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto place = history_place(*config);
  ASSERT_TRUE(place.ok()) << place.error().message;
  EXPECT_EQ(place->path, dir / "state/vq/history.sqlite");
  EXPECT_NE(place->warning.find("/var/tmp/vq-g64999"), std::string::npos) << place->warning;
}

}  // namespace
}  // namespace vq::history
