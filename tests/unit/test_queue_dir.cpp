#include "queue_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace vq {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

TEST(QueueDir, CreatesTheDirectoryAndMissingParentsPrivate) {
  test::TempDir tmp;
  std::string path = tmp / "a/b/queue";
  auto dir = QueueDir::open(path);
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ(mode_of(path), 0700u);
  EXPECT_EQ(mode_of(tmp / "a"), 0700u);
  EXPECT_EQ(dir->path(), path);
}

TEST(QueueDir, TrailingSlashesAreIgnored) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "q//");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->path(), tmp / "q");
}

TEST(QueueDir, RefusesASymlinkWithoutFollowingIt) {
  test::TempDir tmp;
  fs::create_directory(tmp / "target");
  fs::permissions(tmp / "target", fs::perms::owner_all);
  fs::create_directory_symlink(tmp / "target", tmp / "q");
  auto dir = QueueDir::open(tmp / "q");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("symlink"), std::string::npos) << dir.error().message;
  EXPECT_TRUE(fs::is_empty(tmp / "target"));
}

TEST(QueueDir, RefusesADirectoryOthersCanEnter) {
  test::TempDir tmp;
  fs::create_directory(tmp / "q");
  ::chmod((tmp / "q").c_str(), 0777);
  auto dir = QueueDir::open(tmp / "q");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("chmod 700"), std::string::npos) << dir.error().message;
}

TEST(QueueDir, RefusesAPathUnderARegularFile) {
  test::TempDir tmp;
  std::ofstream(tmp / "file") << "x";
  auto dir = QueueDir::open(tmp / "file/q");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find(tmp / "file/q"), std::string::npos);
}

TEST(QueueDir, RefusesARelativePath) {
  EXPECT_FALSE(QueueDir::open("relative/q").ok());
  EXPECT_FALSE(QueueDir::open("").ok());
}

TEST(QueueDir, FilesInsideAreCreatedPrivateAndSymlinksRefused) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "q");
  ASSERT_TRUE(dir.ok());
  auto fd = dir->open_file("slots.lock", O_RDWR);
  ASSERT_TRUE(fd.ok());
  ::close(*fd);
  EXPECT_EQ(mode_of(tmp / "q/slots.lock"), 0600u);

  std::ofstream(tmp / "elsewhere") << "precious";
  fs::create_symlink(tmp / "elsewhere", tmp / "q/slots.table");
  EXPECT_FALSE(dir->open_file("slots.table", O_RDWR).ok());
}

TEST(QueueDir, DefaultPathIsTheSameWhateverTheEnvironment) {
  Config config;
  EXPECT_EQ(queue_dir_path(config), "/tmp/vq-" + std::to_string(::geteuid()));
  config.queue_dir = "/explicit";
  EXPECT_EQ(queue_dir_path(config), "/explicit");
}

}  // namespace
}  // namespace vq
