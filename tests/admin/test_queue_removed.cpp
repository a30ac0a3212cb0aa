// Invariant 1 when the queue's files are taken away under live runs: an age-based /tmp cleaner
// (systemd-tmpfiles, tmpreaper) or a user removes slots.lock, renames another file over it, or
// removes the whole queue directory while runs hold and wait. The runs that hold slots on the
// old lock file must still count: no newcomer is admitted past them, status shows them, and
// cleanup never removes their records. Counted by the fake's own records.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "admin_harness.h"

namespace vq::mp {
namespace {

enum class Removal { lock_file, lock_file_replaced, directory };

std::string name_of(Removal removal) {
  switch (removal) {
    case Removal::lock_file:
      return "LockFileRemoved";
    case Removal::lock_file_replaced:
      return "LockFileReplaced";
    case Removal::directory:
      return "DirectoryRemoved";
  }
  return "?";
}

class QueueRemovedTest : public AdminTest, public ::testing::WithParamInterface<Removal> {
 protected:
  void remove_files() const {
    const std::string lock = queue_dir() + "/slots.lock";
    switch (GetParam()) {
      case Removal::lock_file:
        ASSERT_EQ(::unlink(lock.c_str()), 0);
        break;
      case Removal::lock_file_replaced: {
        const std::string other = queue_dir() + "/new.lock";
        write_file(other, "", 0600);
        ASSERT_EQ(::rename(other.c_str(), lock.c_str()), 0);
        break;
      }
      case Removal::directory:
        std::filesystem::remove_all(queue_dir());
        break;
    }
  }
};

const Env k_limit_two{{"VQ_MAX_PROCESSES", "2"}, {"VQ_QUEUE_TIMEOUT", "60"}};

Env with(Env env, const Env& more) {
  apply_overrides(env, more);
  return env;
}

TEST_P(QueueRemovedTest, RunsOnTheOldFilesStillCountAndNewcomersWaitForThem) {
  std::vector<Process> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(
        start_holder("holder" + std::to_string(i), with(k_limit_two, {{"FAKE_SLEEP_MS", "2500"}})));
  }
  Process waiter = start_waiter("waiter", with(k_limit_two, {{"FAKE_SLEEP_MS", "200"}}));
  remove_files();

  // Before any launch passes: status counts the holders and says why, and cleanup leaves their
  // records alone.
  const AdminResult cleaned = admin({"cleanup"});
  for (const Process& holder : holders) {
    EXPECT_EQ(cleaned.out.find("PID " + std::to_string(holder.pid())), std::string::npos)
        << cleaned.out;
  }
  const nlohmann::json status = status_json();
  EXPECT_EQ(status.at("busy"), 2) << status.dump(2);
  for (const auto& run : status.at("active")) EXPECT_FALSE(run.at("lock_seen")) << status.dump(2);
  const AdminResult text = admin({"status"});
  EXPECT_NE(text.out.find("lock file that was removed or replaced"), std::string::npos) << text.out;

  std::vector<Process> newcomers;
  for (int i = 0; i < 2; ++i) {
    newcomers.emplace_back(
        shim_launch("new" + std::to_string(i), with(k_limit_two, {{"FAKE_SLEEP_MS", "200"}})));
  }
  sleep_for_ms(300);
  EXPECT_EQ(status_json().at("busy"), 2);

  for (auto* group : {&holders, &newcomers}) {
    for (auto& run : *group) {
      const auto exit_status = run.wait(60s);
      ASSERT_TRUE(exit_status) << "pid " << run.pid() << " hung";
      EXPECT_EQ(describe_status(*exit_status), exited(0)) << run.stderr_text();
    }
  }
  const auto waiter_status = waiter.wait(60s);
  ASSERT_TRUE(waiter_status);
  EXPECT_EQ(describe_status(*waiter_status), exited(0)) << waiter.stderr_text();

  const auto events = records();
  EXPECT_EQ(events.size(), 10u) << read_file(record_path());
  EXPECT_LE(max_overlap(events), 2) << read_file(record_path());
}

using QueueReplacedTest = AdminTest;

// Takes byte 0 of `lock` (the update lock) as a vq process inside an update would; returns the
// descriptor (closing it releases the lock), or -1.
int hold_update_lock(const std::string& lock) {
  int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
  struct flock update {};
  update.l_type = F_WRLCK;
  update.l_whence = SEEK_SET;
  update.l_start = 0;
  update.l_len = 1;
  if (fd >= 0 && ::fcntl(fd, F_SETLKW, &update) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A waiter that finds its lock file replaced while someone holds the new file's update lock keeps
// waiting (and adopts the holders it saw once it gets the lock), rather than running unqueued.
TEST_F(QueueReplacedTest, AWaiterThatRejoinsWhileTheNewLockIsBusyKeepsWaiting) {
  std::vector<Process> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(
        start_holder("holder" + std::to_string(i), with(k_limit_two, {{"FAKE_SLEEP_MS", "3000"}})));
  }
  Process waiter = start_waiter("waiter", with(k_limit_two, {{"FAKE_SLEEP_MS", "200"}}));
  const std::string lock = queue_dir() + "/slots.lock";
  const std::string other = queue_dir() + "/new.lock";
  write_file(other, "", 0600);
  ASSERT_EQ(::rename(other.c_str(), lock.c_str()), 0);
  // Byte 0 of the new file, the update lock, held for 1.5 s: a vq process slow inside an update.
  int fd = hold_update_lock(lock);
  ASSERT_GE(fd, 0);
  sleep_for_ms(1500);
  ::close(fd);

  for (auto& run : holders) ASSERT_TRUE(run.wait(60s));
  const auto status = waiter.wait(60s);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << waiter.stderr_text();
  EXPECT_EQ(waiter.stderr_text().find("without the queue"), std::string::npos)
      << waiter.stderr_text();
  EXPECT_LE(max_overlap(records()), 2) << read_file(record_path());
}

// reset rebuilds the table, and with it the records that alone count holders whose lock file was
// removed: it refuses without --force, as for any live run.
TEST_F(QueueReplacedTest, ResetRefusesWhileHoldersAreCountedFromTheirRecords) {
  std::vector<Process> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(
        start_holder("holder" + std::to_string(i), with(k_limit_two, {{"FAKE_SLEEP_MS", "2500"}})));
  }
  ASSERT_EQ(::unlink((queue_dir() + "/slots.lock").c_str()), 0);
  EXPECT_EQ(status_json().at("busy"), 2);
  const AdminResult reset = admin({"reset"});
  EXPECT_NE(reset.status, 0) << reset.out << reset.err;
  EXPECT_NE(reset.err.find("refusing"), std::string::npos) << reset.err;
  std::vector<Process> newcomers;
  for (int i = 0; i < 2; ++i) {
    newcomers.emplace_back(
        shim_launch("new" + std::to_string(i), with(k_limit_two, {{"FAKE_SLEEP_MS", "300"}})));
  }
  for (auto* group : {&holders, &newcomers}) {
    for (auto& run : *group) ASSERT_TRUE(run.wait(60s));
  }
  EXPECT_LE(max_overlap(records()), 2) << read_file(record_path());
}

// A process stuck inside an update of the old files keeps their update lock forever; waiters on
// them must still move to the queue at the path (the answer "not in place" never changes back).
TEST_F(QueueReplacedTest, AStuckUpdateLockOnRemovedFilesDoesNotKeepAWaiterFromRejoining) {
  std::vector<Process> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(
        start_holder("holder" + std::to_string(i), with(k_limit_two, {{"FAKE_SLEEP_MS", "800"}})));
  }
  Process waiter = start_waiter(
      "waiter", with(k_limit_two, {{"FAKE_SLEEP_MS", "100"}, {"VQ_QUEUE_TIMEOUT", "4"}}));
  const std::string lock = queue_dir() + "/slots.lock";
  int fd = hold_update_lock(lock);
  ASSERT_GE(fd, 0);
  std::filesystem::remove_all(queue_dir());
  for (auto& run : holders) ASSERT_TRUE(run.wait(60s));
  const auto status = waiter.wait(60s);
  ::close(fd);
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << waiter.stderr_text();
  EXPECT_LE(max_overlap(records()), 2) << read_file(record_path());
}

INSTANTIATE_TEST_SUITE_P(Removals, QueueRemovedTest,
                         ::testing::Values(Removal::lock_file, Removal::lock_file_replaced,
                                           Removal::directory),
                         [](const auto& info) { return name_of(info.param); });

}  // namespace
}  // namespace vq::mp
