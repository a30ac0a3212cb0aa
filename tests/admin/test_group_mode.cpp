// Group mode (VQ_GROUP) between real users created for the test: two members share one queue
// and one limit, each sees the other's runs, a user outside the group is refused, and a member
// cannot make another member's vq write through a symlink it planted. The threat model is in
// docs/SECURITY.md.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "admin_harness.h"

namespace vq::mp {
namespace {

bool run_quietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// A group and three users made with groupadd/useradd for one test and removed after it:
// `a` (the group is its primary group), `b` (a supplementary member), `c` (not a member).
class TestUsers {
 public:
  TestUsers() {
    const std::string tag = std::to_string(::getpid());
    group = "vqg" + tag;
    a = "vqa" + tag;
    b = "vqb" + tag;
    c = "vqc" + tag;
    m_ok = run_quietly("groupadd " + group) &&
           run_quietly("useradd -M -N -s /usr/sbin/nologin -g " + group + " " + a) &&
           run_quietly("useradd -M -N -s /usr/sbin/nologin -g users -G " + group + " " + b) &&
           run_quietly("useradd -M -N -s /usr/sbin/nologin -g users " + c);
    if (const ::group* found = ::getgrnam(group.c_str())) gid = found->gr_gid;
  }
  ~TestUsers() {
    for (const std::string& user : {a, b, c}) run_quietly("userdel " + user);
    run_quietly("groupdel " + group);
  }
  bool ok() const { return m_ok && gid != 0; }
  uid_t uid(const std::string& user) const {
    const ::passwd* found = ::getpwnam(user.c_str());
    return found ? found->pw_uid : 0;
  }

  std::string group, a, b, c;
  gid_t gid = 0;

 private:
  bool m_ok = false;
};

// `launch` run as `user`, with that user's primary and supplementary groups (setpriv).
Launch as_user(Launch launch, const std::string& user) {
  const ::passwd* entry = ::getpwnam(user.c_str());
  const std::string primary = entry ? std::to_string(entry->pw_gid) : "nogroup";
  std::vector<std::string> argv = {"setpriv", "--reuid=" + user, "--regid=" + primary,
                                   "--init-groups", launch.program};
  argv.insert(argv.end(), launch.argv.begin() + 1, launch.argv.end());
  launch.program = "/usr/bin/setpriv";
  launch.argv = argv;
  return launch;
}

mode_t mode_of(const std::string& path, gid_t* gid = nullptr) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  if (gid) *gid = st.st_gid;
  return st.st_mode & 07777;
}

class GroupModeTest : public AdminTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creating test users needs root";
    if (!m_users.ok()) GTEST_SKIP() << "groupadd/useradd failed here";
    // The test directory is the users' /tmp: they reach it, the record file and a shared parent
    // (sticky, open, as /tmp is) in which the first of them creates the queue directory.
    ::chmod(tmp().c_str(), 0711);
    write_file(record_path(), "", 0666);
    ::mkdir(shared().c_str(), 01777);
    ::chmod(shared().c_str(), 01777);
  }

  std::string shared() const { return tmp() + "/shared"; }
  std::string group_queue() const { return shared() + "/queue"; }
  Env group_env(Env env = {}) const {
    env["VQ_QUEUE_DIR"] = group_queue();
    env["VQ_GROUP"] = m_users.group;
    return env;
  }
  Launch shim_as(const std::string& user, const std::string& id, const Env& overrides = {}) const {
    return as_user(shim_launch(id, group_env(overrides)), user);
  }
  AdminResult admin_as(const std::string& user, const std::vector<std::string>& args,
                       const Env& overrides = {}) const {
    return run_admin(as_user(admin_launch(args, group_env(overrides)), user));
  }
  Process holder_as(const std::string& user, const std::string& id, const Env& overrides) {
    Process holder(shim_as(user, id, overrides));
    if (!eventually([&] { return has_started(id) || holder.has_exited(); }) || !has_started(id)) {
      throw std::runtime_error("holder " + id + " never started; stderr: " + holder.stderr_text());
    }
    return holder;
  }

  TestUsers m_users;
};

TEST_F(GroupModeTest, TwoMembersShareOneLimitAsTheObserverCounts) {
  std::vector<Process> runs;
  for (int i = 0; i < 6; ++i) {
    const std::string& user = i % 2 == 0 ? m_users.a : m_users.b;
    runs.emplace_back(shim_as(user, user + "-" + std::to_string(i),
                              {{"VQ_MAX_PROCESSES", "2"}, {"FAKE_SLEEP_MS", "400"}}));
  }
  for (Process& run : runs) {
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  }
  const auto events = records();
  ASSERT_EQ(start_order(events).size(), 6u) << read_file(record_path());
  // Two queues (one per user) would let up to four run at once.
  EXPECT_EQ(max_overlap(events), 2) << read_file(record_path());

  gid_t gid = 0;
  EXPECT_EQ(mode_of(group_queue(), &gid), 03770u);
  EXPECT_EQ(gid, m_users.gid);
  for (const char* file : {"slots.table", "slots.lock"}) {
    EXPECT_EQ(mode_of(group_queue() + "/" + file, &gid), 0660u) << file;
    EXPECT_EQ(gid, m_users.gid) << file;
  }
  EXPECT_FALSE(path_exists(group_queue() + "/vitest-queue.log")) << "group mode keeps no log";
}

TEST_F(GroupModeTest, AMemberWaitsForTheOthersSlotSeesItAndMaySteer) {
  Process holder =
      holder_as(m_users.a, "a-holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}});

  const AdminResult status = admin_as(m_users.b, {"status", "--json"});
  ASSERT_EQ(status.status, 0) << status.err;
  const auto json = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_EQ(json["active"].size(), 1u) << status.out;
  EXPECT_EQ(json["active"][0]["pid"], holder.pid());

  Process late(shim_as(m_users.b, "b-late", {{"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto late_status = late.wait();
  ASSERT_TRUE(late_status);
  EXPECT_EQ(describe_status(*late_status), exited(75)) << late.stderr_text();
  EXPECT_NE(late.stderr_text().find(std::to_string(holder.pid())), std::string::npos)
      << late.stderr_text();

  // Any member may steer the shared queue (docs/SECURITY.md says why).
  const AdminResult limit = admin_as(m_users.b, {"limit", "2"});
  EXPECT_EQ(limit.status, 0) << limit.err;
  Process second(shim_as(m_users.b, "b-second"));
  const auto second_status = second.wait();
  ASSERT_TRUE(second_status);
  EXPECT_EQ(describe_status(*second_status), exited(0)) << second.stderr_text();
}

// The memory-estimates file is one of the group's files: a's watcher learns the project's
// estimate, b's shim admits with it (not the cold 1 GiB) and b's watcher rewrites a's file.
TEST_F(GroupModeTest, LearnedEstimatesAreSharedByEveryMember) {
  const std::string vitest = install_fake_vitest(tmp() + "/app", "3.2.4");
  ASSERT_FALSE(vitest.empty());
  const std::string history_dir = "/var/tmp/vq-g" + std::to_string(m_users.gid);
  struct Removed {
    std::string dir;
    ~Removed() { std::filesystem::remove_all(dir); }
  } removed{history_dir};
  const std::string estimates = group_queue() + "/memory-estimates";
  // The fake peaks at a few MiB: its learned estimate is the 256 MiB floor. It runs long enough
  // for its watcher to sample a peak (a run without one teaches nothing).
  const std::string learned_line = std::to_string(256LL << 20) + " 1 " + tmp() + "/app\n";
  Process first(
      shim_as(m_users.a, "a-first", {{"VQ_REAL_VITEST", vitest}, {"FAKE_SLEEP_MS", "500"}}));
  ASSERT_TRUE(first.wait());
  ASSERT_TRUE(eventually([&] { return read_file(estimates) == learned_line; }))
      << "estimates: " << read_file(estimates) << first.stderr_text();
  gid_t gid = 0;
  EXPECT_EQ(mode_of(estimates, &gid), 0660u);
  EXPECT_EQ(gid, m_users.gid);

  Process second =
      holder_as(m_users.b, "b-second", {{"VQ_REAL_VITEST", vitest}, {"FAKE_SLEEP_MS", "1000"}});
  const AdminResult status = admin_as(m_users.b, {"status", "--json"});
  ASSERT_EQ(status.status, 0) << status.err;
  const auto json = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_EQ(json["active"].size(), 1u) << status.out;
  EXPECT_EQ(json["active"][0]["memory_estimate_bytes"], 256LL << 20) << status.out;
  ASSERT_TRUE(second.wait());
  EXPECT_TRUE(eventually([&] {
    return read_file(estimates).find(" 2 " + tmp() + "/app\n") != std::string::npos;
  })) << "b's watcher did not rewrite the estimate: "
      << read_file(estimates);
}

TEST_F(GroupModeTest, AUserOutsideTheGroupIsRefused) {
  Process member(shim_as(m_users.a, "a-first"));
  ASSERT_TRUE(member.wait());

  Process outsider(shim_as(m_users.c, "c-run", {{"FAKE_EXIT", "7"}}));
  const auto status = outsider.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(7)) << outsider.stderr_text();
  const std::string err = outsider.stderr_text();
  EXPECT_EQ(err.rfind("vq: warning: ", 0), 0u) << err;
  EXPECT_NE(err.find("not in group"), std::string::npos) << err;

  Process closed(shim_as(m_users.c, "c-closed", {{"VQ_FAIL_CLOSED", "1"}}));
  const auto closed_status = closed.wait();
  ASSERT_TRUE(closed_status);
  EXPECT_EQ(describe_status(*closed_status), exited(69)) << closed.stderr_text();
  EXPECT_FALSE(has_started("c-closed"));

  for (const char* verb : {"status", "limit", "reset"}) {
    std::vector<std::string> args = {verb};
    if (std::string(verb) == "limit") args.push_back("9");
    const AdminResult refused = admin_as(m_users.c, args);
    EXPECT_EQ(refused.status, 69) << verb << ": " << refused.out << refused.err;
    EXPECT_NE(refused.err.find("not in group"), std::string::npos) << refused.err;
  }
  // Without VQ_GROUP the outsider cannot take the directory as a private queue either.
  Process private_mode(
      as_user(shim_launch("c-private", {{"VQ_QUEUE_DIR", group_queue()}}), m_users.c));
  ASSERT_TRUE(private_mode.wait());
  EXPECT_EQ(private_mode.stderr_text().rfind("vq: warning: ", 0), 0u) << private_mode.stderr_text();
  const AdminResult limit = admin_as(m_users.a, {"status", "--json"});
  EXPECT_EQ(nlohmann::json::parse(limit.out, nullptr, false)["limit"], 4) << limit.out;
}

TEST_F(GroupModeTest, AQueuePathSquattedByANonMemberNamesItsOwnerAndTheFix) {
  // c, outside the group, takes the queue's path first, as anyone may in /tmp: private to c,
  // then open to all but of c's own group. Either way a member runs unqueued and must learn
  // who holds the path and what to set instead.
  Launch squat;
  squat.program = "/bin/sh";
  squat.argv = {"sh", "-c", "mkdir -m 700 \"$1\"", "sh", group_queue()};
  squat.env = {{"PATH", "/usr/bin:/bin"}};
  Process squatter(as_user(squat, m_users.c));
  const auto squatted = squatter.wait();
  ASSERT_TRUE(squatted);
  ASSERT_EQ(describe_status(*squatted), exited(0)) << squatter.stderr_text();
  const std::string owner = "user " + m_users.c + " (uid " + std::to_string(m_users.uid(m_users.c));

  for (mode_t mode : {0700, 0755}) {
    ASSERT_EQ(::chmod(group_queue().c_str(), mode), 0);
    Process run(shim_as(m_users.a, "a-run-" + std::to_string(mode), {{"FAKE_EXIT", "0"}}));
    const auto status = run.wait();
    ASSERT_TRUE(status);
    EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
    const std::string err = run.stderr_text();
    EXPECT_EQ(err.rfind("vq: warning: queue directory " + group_queue(), 0), 0u) << err;
    EXPECT_NE(err.find("owned by " + owner), std::string::npos) << err;
    EXPECT_NE(err.find("set VQ_QUEUE_DIR"), std::string::npos) << err;
    EXPECT_EQ(err.find("Permission denied"), std::string::npos) << err;

    const AdminResult admin_status = admin_as(m_users.b, {"status"});
    EXPECT_EQ(admin_status.status, 69) << admin_status.out << admin_status.err;
    EXPECT_NE(admin_status.err.find("owned by " + owner), std::string::npos) << admin_status.err;
  }
}

TEST_F(GroupModeTest, AMemberCannotMakeAnotherWriteThroughAPlantedSymlink) {
  // b makes the queue, so b owns its files and may replace them: b swaps the table for a
  // symlink to a file only a may write.
  Process first(shim_as(m_users.b, "b-first"));
  ASSERT_TRUE(first.wait());
  const std::string secret = tmp() + "/a-secret";
  write_file(secret, "precious\n", 0600);
  ASSERT_EQ(::chown(secret.c_str(), m_users.uid(m_users.a), m_users.gid), 0);
  Launch swap;
  swap.program = "/bin/sh";
  swap.argv = {"sh", "-c", "rm -f slots.table && ln -s \"$1\" slots.table", "sh", secret};
  swap.env = {{"PATH", "/usr/bin:/bin"}};
  swap.cwd = group_queue();
  Process swapper(as_user(swap, m_users.b));
  const auto swapped = swapper.wait();
  ASSERT_TRUE(swapped);
  ASSERT_EQ(describe_status(*swapped), exited(0)) << swapper.stderr_text();

  Process run(shim_as(m_users.a, "a-run", {{"FAKE_EXIT", "0"}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(0)) << run.stderr_text();
  EXPECT_EQ(run.stderr_text().rfind("vq: warning: ", 0), 0u) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find("slots.table"), std::string::npos) << run.stderr_text();
  const AdminResult admin_status = admin_as(m_users.a, {"status"});
  EXPECT_EQ(admin_status.status, 69) << admin_status.out << admin_status.err;
  EXPECT_EQ(read_file(secret), "precious\n") << "a's vq wrote through b's symlink";
}

}  // namespace
}  // namespace vq::mp
