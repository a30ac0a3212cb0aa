// The queue directory: created private when missing; when unusable the run still runs with one
// warning (invariant 6, fail open), or is refused with 69 under VQ_FAIL_CLOSED=1.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

using QueueDirTest = ShimTest;

TEST_F(QueueDirTest, MissingQueueDirIsCreatedPrivateToItsUser) {
  ASSERT_FALSE(path_exists(queue_dir()));
  Process run(shim_launch("run"));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << "stderr: " << run.stderr_text();

  struct stat st {};
  ASSERT_EQ(::lstat(queue_dir().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(run.stderr_text(), "");
}

// Queue directories vq must not use, each made inside the test's temporary directory.
struct UnusableDir {
  const char* name;
  std::string (*make)(const std::string& tmp);  // returns the VQ_QUEUE_DIR to use
};

std::string under_a_regular_file(const std::string& tmp) {
  write_file(tmp + "/file", "not a directory\n");
  return tmp + "/file/queue";
}

std::string a_regular_file(const std::string& tmp) {
  write_file(tmp + "/file", "not a directory\n");
  return tmp + "/file";
}

// Secure by default: a symlink planted at the queue path is not followed.
std::string a_symlink_to_a_private_dir(const std::string& tmp) {
  ::mkdir((tmp + "/elsewhere").c_str(), 0700);
  ::symlink((tmp + "/elsewhere").c_str(), (tmp + "/link").c_str());
  return tmp + "/link";
}

// Secure by default: a queue other users can enter is not used.
std::string open_to_other_users(const std::string& tmp) {
  ::mkdir((tmp + "/open").c_str(), 0700);
  ::chmod((tmp + "/open").c_str(), 0777);
  return tmp + "/open";
}

class UnusableQueueDirTest : public ShimTest, public ::testing::WithParamInterface<UnusableDir> {
 protected:
  std::string unusable_dir() const { return GetParam().make(tmp()); }
};

TEST_P(UnusableQueueDirTest, FailsOpenRunningTheTestsWithOneWarningLine) {
  Process run(shim_launch("run", {{"VQ_QUEUE_DIR", unusable_dir()}, {"FAKE_EXIT", "5"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(5)) << "stderr: " << run.stderr_text();
  EXPECT_TRUE(has_started("run"));

  const std::string err = run.stderr_text();
  EXPECT_EQ(err.rfind("vq: warning:", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.back(), '\n') << err;
}

TEST_P(UnusableQueueDirTest, FailClosedRefusesWith69WithoutRunningTheTests) {
  Process run(shim_launch("run", {{"VQ_QUEUE_DIR", unusable_dir()}, {"VQ_FAIL_CLOSED", "1"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(69)) << "stderr: " << run.stderr_text();
  EXPECT_FALSE(path_exists(record_path())) << "the fake ran: " << read_file(record_path());
  EXPECT_EQ(run.stderr_text().rfind("vq: ", 0), 0u) << run.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Dirs, UnusableQueueDirTest,
                         ::testing::Values(UnusableDir{"UnderARegularFile", under_a_regular_file},
                                           UnusableDir{"IsARegularFile", a_regular_file},
                                           UnusableDir{"IsASymlink", a_symlink_to_a_private_dir},
                                           UnusableDir{"OpenToOtherUsers", open_to_other_users}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vq::mp
