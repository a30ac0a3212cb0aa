#include "process_identity.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vq {
namespace {

TEST(ProcessIdentity, ParsesStatWithAwkwardCommandNames) {
  std::string stat =
      "4242 (a) b) (c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";
  auto parsed = parse_proc_stat(stat);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->state, 'S');
  EXPECT_EQ(parsed->parent, 17);
  EXPECT_EQ(parsed->start_time, 987654u);
  EXPECT_EQ(parsed->cpu_ticks, 3u) << "utime + stime + cutime + cstime (fields 14-17)";
  EXPECT_EQ(parsed->rss_pages, 100u);
}

TEST(ProcessIdentity, RejectsTruncatedStat) {
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 17 4242").has_value());
  EXPECT_FALSE(parse_proc_stat("no parenthesis").has_value());
  EXPECT_FALSE(parse_proc_stat("").has_value());
}

TEST(ProcessIdentity, SelfIsIdentifiedAndInItsOwnTree) {
  ProcessIdentity self = self_identity();
  EXPECT_GT(self.start_time, 0u);
  EXPECT_EQ(identify(::getpid()), self);
  EXPECT_TRUE(is_in_tree_of(::getpid(), self));
}

TEST(ProcessIdentity, SamePidWithAnotherStartTimeIsAnotherProcess) {
  ProcessIdentity self = self_identity();
  EXPECT_FALSE(is_in_tree_of(::getpid(), ProcessIdentity{self.pid, self.start_time + 1}));
}

TEST(ProcessIdentity, ChildIsInTheTreeOfItsParentNotTheOtherWay) {
  ProcessIdentity parent = self_identity();
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  if (child == 0) {
    char c;
    ::close(pipe_fds[1]);
    ssize_t ignored = ::read(pipe_fds[0], &c, 1);  // wait until the parent has looked
    (void)ignored;
    ::_exit(0);
  }
  ::close(pipe_fds[0]);
  auto child_identity = identify(child);
  ASSERT_TRUE(child_identity.has_value());
  EXPECT_TRUE(is_in_tree_of(child, parent));
  EXPECT_FALSE(is_in_tree_of(::getpid(), *child_identity));
  ::close(pipe_fds[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_FALSE(identify(child).has_value());
}

TEST(ProcessIdentity, UnreapedZombieReadsAsStateZ) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  auto identity = identify(child);
  ASSERT_TRUE(identity.has_value());
  // Not reaped yet: /proc still lists it, as a zombie.
  for (int i = 0; i < 200 && read_proc_stat(child)->state != 'Z'; ++i) ::usleep(5000);
  EXPECT_EQ(read_proc_stat(child)->state, 'Z');
  int status = 0;
  ::waitpid(child, &status, 0);
}

TEST(ProcessIdentity, MarkerRoundTripsAndRejectsJunk) {
  ProcessIdentity identity{1234, 567890};
  EXPECT_EQ(parse_marker(to_marker(identity)), identity);
  EXPECT_FALSE(parse_marker("").has_value());
  EXPECT_FALSE(parse_marker("1234").has_value());
  EXPECT_FALSE(parse_marker("x:1").has_value());
  EXPECT_FALSE(parse_marker("0:1").has_value());
  EXPECT_FALSE(parse_marker("-5:1").has_value());
  EXPECT_FALSE(parse_marker("12:34:56").has_value());
}

}  // namespace
}  // namespace vq
