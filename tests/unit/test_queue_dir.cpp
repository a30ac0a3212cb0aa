#include "queue_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

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
  config.group = 4242;
  EXPECT_EQ(queue_dir_path(config), "/tmp/vq-g4242");
  config.queue_dir = "/explicit";
  EXPECT_EQ(queue_dir_path(config), "/explicit");
}

TEST(QueueDir, RefusesADirectoryOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a directory away needs root";
  test::TempDir tmp;
  fs::create_directory(tmp / "q");
  ::chmod((tmp / "q").c_str(), 0700);
  ASSERT_EQ(::chown((tmp / "q").c_str(), 65534, 65534), 0);
  auto dir = QueueDir::open(tmp / "q");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("owned by uid 65534"), std::string::npos)
      << dir.error().message;
}

// QueueDir::open(path) in a child process that `prepare` sets up first (a private mount
// namespace, another user): the error message comes back, or "opened", or prepare's own
// "skip: …" when this machine cannot set the child up.
std::string open_in_child(const std::string& path, std::optional<gid_t> group,
                          const std::function<std::string()>& prepare) {
  int fds[2];
  if (::pipe(fds) != 0) return "skip: pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string text = prepare();
    if (text.empty()) {
      auto dir = QueueDir::open(path, group);
      text = dir ? "opened" : dir.error().message;
    }
    ssize_t ignored = ::write(fds[1], text.data(), text.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t got; (got = ::read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, got);
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return text;
}

// Makes `dir` read-only for this process alone: a read-only bind mount of it over itself in a
// mount namespace of its own (root itself cannot write there).
std::string make_read_only(const std::string& dir) {
  if (::unshare(CLONE_NEWNS) != 0) return std::string("skip: unshare: ") + std::strerror(errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    return std::string("skip: mount: ") + std::strerror(errno);
  }
  return "";
}

// Becomes uid/gid 65534 when root (root may write anywhere); anyone else is refused already.
std::string become_nobody() {
  if (::geteuid() != 0) return "";
  if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
    return std::string("skip: setresuid: ") + std::strerror(errno);
  }
  return "";
}

TEST(QueueDir, ACreationOnAReadOnlyFileSystemSaysSoAndNamesTheFix) {
  test::TempDir tmp;
  const std::string read_only = tmp / "ro";
  fs::create_directory(read_only);
  gid_t own_group = ::getegid();
  const std::vector<std::pair<std::string, std::optional<gid_t>>> cases = {
      {read_only + "/q", std::nullopt},
      {read_only + "/a/b/q", std::nullopt},
      {read_only + "/q", own_group}};
  for (const auto& [path, group] : cases) {
    std::string message = open_in_child(path, group, [&] { return make_read_only(read_only); });
    if (message.rfind("skip: ", 0) == 0) GTEST_SKIP() << message;
    EXPECT_NE(message.find("cannot create queue directory " + path), std::string::npos) << message;
    EXPECT_NE(message.find("Read-only file system"), std::string::npos) << message;
    EXPECT_NE(message.find("VQ_QUEUE_DIR"), std::string::npos) << message;
    EXPECT_EQ(message.find("No such file"), std::string::npos) << message;
  }
}

TEST(QueueDir, ACreationInADirectoryTheUserMayNotWriteSaysSoAndNamesTheFix) {
  test::TempDir tmp;
  ::chmod(tmp.path().c_str(), 0755);  // the child may reach it as another user
  const std::string locked = tmp / "locked";
  fs::create_directory(locked);
  ::chmod(locked.c_str(), 0555);
  for (const std::string& path : {locked + "/q", locked + "/a/q"}) {
    std::string message = open_in_child(path, std::nullopt, become_nobody);
    if (message.rfind("skip: ", 0) == 0) GTEST_SKIP() << message;
    EXPECT_NE(message.find("cannot create queue directory " + path), std::string::npos) << message;
    EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
    EXPECT_NE(message.find("may not create entries in " + locked), std::string::npos) << message;
    EXPECT_NE(message.find("VQ_QUEUE_DIR"), std::string::npos) << message;
    EXPECT_EQ(message.find("No such file"), std::string::npos) << message;
  }
}

// Group mode, with a group the test runs in (its own effective group).
TEST(QueueDir, GroupModeCreatesADirectoryAndFilesSharedWithTheGroupOnly) {
  test::TempDir tmp;
  const gid_t group = ::getegid();
  mode_t old_umask = ::umask(022);
  auto dir = QueueDir::open(tmp / "q", group);
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  auto fd = dir->open_file("slots.lock", O_RDWR);
  auto fifo = dir->open_fifo("wake", O_RDONLY | O_NONBLOCK);
  ::umask(old_umask);
  ASSERT_TRUE(fd.ok()) << fd.error().message;
  ASSERT_TRUE(fifo.ok()) << fifo.error().message;
  ::close(*fd);
  ::close(*fifo);
  EXPECT_EQ(mode_of(tmp / "q"), 03770u);
  EXPECT_EQ(mode_of(tmp / "q/slots.lock"), 0660u) << "the umask must not lock members out";
  EXPECT_EQ(mode_of(tmp / "q/wake"), 0660u);
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "q/slots.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, group);
  EXPECT_EQ(dir->group(), group);
}

TEST(QueueDir, GroupModeRefusesAGroupTheCallerIsNotIn) {
  gid_t outside = 60000;
  while (caller_in_group(outside)) ++outside;
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "q", outside);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("not in group " + std::to_string(outside)), std::string::npos)
      << dir.error().message;
  EXPECT_FALSE(fs::exists(tmp / "q"));
}

TEST(QueueDir, GroupModeRefusesADirectoryOpenToOthersNotStickyOrOfAnotherGroup) {
  test::TempDir tmp;
  const gid_t group = ::getegid();
  fs::create_directory(tmp / "q");
  for (mode_t mode : {03777, 02770, 01770, 03750}) {
    ::chmod((tmp / "q").c_str(), mode);
    auto dir = QueueDir::open(tmp / "q", group);
    ASSERT_FALSE(dir.ok()) << std::oct << mode;
    EXPECT_NE(dir.error().message.find("chmod 3770"), std::string::npos) << dir.error().message;
  }
  ::chmod((tmp / "q").c_str(), 03770);
  EXPECT_TRUE(QueueDir::open(tmp / "q", group).ok());
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown((tmp / "q").c_str(), static_cast<uid_t>(-1), group + 1), 0);
    auto dir = QueueDir::open(tmp / "q", group);
    ASSERT_FALSE(dir.ok());
    EXPECT_NE(dir.error().message.find("not to group"), std::string::npos) << dir.error().message;
  }
}

TEST(QueueDir, GroupModeRefusesFilesOpenToOthersOrHardLinkedFromElsewhere) {
  test::TempDir tmp;
  auto dir = QueueDir::open(tmp / "q", ::getegid());
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  std::ofstream(tmp / "elsewhere") << "precious";
  ::chmod((tmp / "elsewhere").c_str(), 0660);
  fs::create_hard_link(tmp / "elsewhere", tmp / "q/slots.table");
  EXPECT_FALSE(dir->open_file("slots.table", O_RDWR).ok());

  std::ofstream(tmp / "q/slots.lock") << "";
  ::chmod((tmp / "q/slots.lock").c_str(), 0666);
  EXPECT_FALSE(dir->open_file("slots.lock", O_RDWR).ok());

  fs::create_symlink(tmp / "elsewhere", tmp / "q/wake");
  EXPECT_FALSE(dir->open_fifo("wake", O_RDONLY | O_NONBLOCK).ok());
  std::ifstream in(tmp / "elsewhere");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
}

}  // namespace
}  // namespace vq
