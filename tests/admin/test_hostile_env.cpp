// Hostile places for the queue: a directory of another user, a symlink, one open to everyone,
// a full filesystem, a read-only one, and a /proc that lacks the fields vq reads. Each gives a
// clear refusal (vq-admin, VQ_FAIL_CLOSED) or a run that goes ahead with one warning; nothing
// crashes, nothing follows the symlink, and where the queue still works it still limits.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "admin_harness.h"

namespace vq::mp {
namespace {

constexpr uid_t k_nobody = 65534;

void expect_one_warning(const std::string& err, const std::string& naming) {
  EXPECT_EQ(err.rfind("vq: warning: ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find(naming), std::string::npos) << err;
}

// ---- Directories vq must refuse ----

struct HostileDir {
  const char* name;
  // Makes the hostile queue directory under `tmp`; returns false when it cannot (not root).
  bool (*make)(const std::string& tmp, const std::string& queue);
  const char* reason;  // what the refusal says
};

bool owned_by_another_user(const std::string&, const std::string& queue) {
  return ::mkdir(queue.c_str(), 0700) == 0 && ::chown(queue.c_str(), k_nobody, k_nobody) == 0;
}
bool a_symlink(const std::string& tmp, const std::string& queue) {
  return ::mkdir((tmp + "/target").c_str(), 0700) == 0 &&
         ::symlink((tmp + "/target").c_str(), queue.c_str()) == 0;
}
bool world_writable(const std::string&, const std::string& queue) {
  return ::mkdir(queue.c_str(), 0700) == 0 && ::chmod(queue.c_str(), 01777) == 0;
}

class HostileDirTest : public AdminTest, public ::testing::WithParamInterface<HostileDir> {};

TEST_P(HostileDirTest, ShimWarnsAndRunsAdminRefusesAndNothingIsWrittenThere) {
  if (!GetParam().make(tmp(), queue_dir())) GTEST_SKIP() << "cannot make it here (needs root)";

  Process run(shim_launch("run", {{"FAKE_EXIT", "4"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(4)) << run.stderr_text();
  expect_one_warning(run.stderr_text(), GetParam().reason);

  Process closed(shim_launch("closed", {{"VQ_FAIL_CLOSED", "1"}}));
  const auto closed_status = closed.wait();
  ASSERT_TRUE(closed_status);
  EXPECT_EQ(describe_status(*closed_status), exited(69)) << closed.stderr_text();
  EXPECT_FALSE(has_started("closed"));

  for (const char* verb : {"status", "cleanup", "reset"}) {
    const AdminResult admin_run = admin({verb});
    EXPECT_EQ(admin_run.status, 69) << verb << ": " << admin_run.out << admin_run.err;
    EXPECT_EQ(admin_run.err.rfind("vq-admin: error: ", 0), 0u) << verb << ": " << admin_run.err;
    EXPECT_NE(admin_run.err.find(GetParam().reason), std::string::npos) << admin_run.err;
  }
  // Nothing of the queue was created in the refused directory, or through the symlink.
  const std::string inside = path_exists(tmp() + "/target") ? tmp() + "/target" : queue_dir();
  EXPECT_FALSE(path_exists(inside + "/slots.table"));
  EXPECT_FALSE(path_exists(inside + "/slots.lock"));
}

INSTANTIATE_TEST_SUITE_P(
    Dirs, HostileDirTest,
    ::testing::Values(HostileDir{"OwnedByAnotherUser", owned_by_another_user, "owned by uid 65534"},
                      HostileDir{"Symlink", a_symlink, "is a symlink"},
                      HostileDir{"WorldWritable", world_writable, "lets other users in"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- Filesystems that fail under the queue: full, read-only ----

// Mounts happen in a mount namespace of this test process alone (each test runs in its own
// process under ctest), so nothing is left mounted on the machine whatever happens.
class FilesystemTest : public AdminTest {
 protected:
  void SetUp() override {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      GTEST_SKIP() << "mount namespaces are not permitted here (needs root): " << strerror(errno);
    }
    m_mount = tmp() + "/fs";
    ::mkdir(m_mount.c_str(), 0700);
  }
  void TearDown() override {
    if (m_mounted) ::umount2(m_mount.c_str(), MNT_DETACH);
  }

  // A tmpfs of `size` at fs/; the queue directory goes inside.
  bool mount_tmpfs(const std::string& size) {
    m_mounted = ::mount("vq-test", m_mount.c_str(), "tmpfs", 0,
                        ("size=" + size + ",mode=0700").c_str()) == 0;
    return m_mounted;
  }
  Env in_fs(Env env = {}) const {
    env["VQ_QUEUE_DIR"] = m_mount + "/queue";
    return env;
  }
  // Writes until the filesystem refuses (ENOSPC).
  void fill() const {
    int fd = ::open((m_mount + "/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::vector<char> block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    EXPECT_EQ(errno, ENOSPC);
    ::close(fd);
  }

  std::string m_mount;
  bool m_mounted = false;
};

TEST_F(FilesystemTest, FullBeforeTheQueueExistsWarnsAndRunsAndStatusSaysWhy) {
  ASSERT_TRUE(mount_tmpfs("64k")) << strerror(errno);  // smaller than a slot table
  Process run(shim_launch("run", in_fs({{"FAKE_EXIT", "0"}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  EXPECT_TRUE(has_started("run"));
  expect_one_warning(run.stderr_text(), "No space left on device");

  const AdminResult admin_status = admin({"status"}, in_fs());
  EXPECT_EQ(admin_status.status, 69) << admin_status.out << admin_status.err;
  EXPECT_NE(admin_status.err.find("No space left on device"), std::string::npos)
      << admin_status.err;
}

TEST_F(FilesystemTest, FilledAfterTheQueueExistsStillLimitsWithoutAWord) {
  ASSERT_TRUE(mount_tmpfs("1m")) << strerror(errno);
  Process first(shim_launch("first", in_fs({{"VQ_MAX_PROCESSES", "1"}})));
  ASSERT_TRUE(first.wait());
  ASSERT_TRUE(has_started("first"));
  fill();

  // The table's pages were allocated when it was made: no SIGBUS, no ENOSPC; the log line
  // that no longer fits is dropped.
  Process holder = start_holder("holder", in_fs({{"FAKE_SLEEP_MS", "30000"}}));
  EXPECT_EQ(holder.stderr_text(), "");
  Process late(shim_launch("late", in_fs({{"VQ_QUEUE_TIMEOUT", "1"}})));
  const auto status = late.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(75)) << late.stderr_text();
  EXPECT_FALSE(has_started("late"));
  const AdminResult admin_status = admin({"status", "--json"}, in_fs());
  EXPECT_EQ(admin_status.status, 0) << admin_status.err;
  EXPECT_EQ(nlohmann::json::parse(admin_status.out, nullptr, false)["busy"], 1) << admin_status.out;
}

TEST_F(FilesystemTest, ReadOnlyWarnsAndRunsAndAdminRefusesNamingIt) {
  ASSERT_TRUE(mount_tmpfs("1m")) << strerror(errno);
  // Unwatched: a watcher still finishing would hold the queue's live figures file open for
  // writing, and the remount would fail with EBUSY.
  Process first(shim_launch("first", in_fs({{"VQ_WATCH", "0"}})));
  ASSERT_TRUE(first.wait());
  ASSERT_EQ(::mount(nullptr, m_mount.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
      << strerror(errno);

  Process run(shim_launch("run", in_fs({{"FAKE_EXIT", "6"}})));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(6)) << run.stderr_text();
  expect_one_warning(run.stderr_text(), "Read-only file system");

  Process closed(shim_launch("closed", in_fs({{"VQ_FAIL_CLOSED", "1"}})));
  const auto closed_status = closed.wait();
  ASSERT_TRUE(closed_status);
  EXPECT_EQ(describe_status(*closed_status), exited(69)) << closed.stderr_text();

  const AdminResult admin_status = admin({"status"}, in_fs());
  EXPECT_EQ(admin_status.status, 69) << admin_status.out << admin_status.err;
  EXPECT_NE(admin_status.err.find("Read-only file system"), std::string::npos) << admin_status.err;
}

// ---- /proc without the fields vq reads ----

// Runs `program` in a mount namespace of its own where /proc/<its pid>/stat (and, if given, the
// holder's) is replaced by a line cut before the parent pid and the start time (fields 4, 22).
Launch with_truncated_stat(Launch launch, pid_t holder = 0) {
  std::string script =
      "set -e; mount --make-rprivate /; fake=$(mktemp); printf '%s (vitest) S' $$ > \"$fake\";"
      "mount --bind \"$fake\" /proc/$$/stat;";
  if (holder > 0) {
    script += "printf '" + std::to_string(holder) + " (vitest) S' > \"$fake.h\";" +
              "mount --bind \"$fake.h\" /proc/" + std::to_string(holder) + "/stat;";
  }
  script += "exec \"$@\"";
  std::vector<std::string> argv = {"unshare", "-m", "/bin/sh", "-c", script, "sh"};
  argv.insert(argv.end(), launch.argv.begin(), launch.argv.end());
  argv[6] = launch.program;
  launch.program = "/usr/bin/unshare";
  launch.argv = argv;
  return launch;
}

using ProcFieldsTest = AdminTest;

TEST_F(ProcFieldsTest, TruncatedStatOfSelfAndHolderStillRunsAndStillLimits) {
  if (::geteuid() != 0) GTEST_SKIP() << "bind mounts over /proc need root";
  Process holder = start_holder("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "1500"}});
  // A waiter that cannot read its own start time nor the holder's: it still waits for the slot
  // (the lock is the truth) and is admitted after the holder exits.
  Process late(with_truncated_stat(shim_launch("late"), holder.pid()));
  const auto status = late.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << late.stderr_text();
  ASSERT_TRUE(has_started("late")) << late.stderr_text();
  const auto events = records();
  EXPECT_EQ(max_overlap(events), 1) << "admitted past the holder";
  EXPECT_EQ(late.stderr_text().find("vq: error"), std::string::npos) << late.stderr_text();

  // vq-admin reading a holder whose stat is truncated: shown, no crash.
  Process holder2 = start_holder("holder2", {{"FAKE_SLEEP_MS", "30000"}});
  Launch status_launch = with_truncated_stat(admin_launch({"status"}), holder2.pid());
  Process admin_status(status_launch);
  const auto admin_exit = admin_status.wait();
  ASSERT_TRUE(admin_exit);
  EXPECT_EQ(describe_status(*admin_exit), exited(0)) << admin_status.stderr_text();
  EXPECT_NE(admin_status.stdout_text().find("PID " + std::to_string(holder2.pid())),
            std::string::npos)
      << admin_status.stdout_text();
}

}  // namespace
}  // namespace vq::mp
