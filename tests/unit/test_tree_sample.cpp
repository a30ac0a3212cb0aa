#include "tree_sample.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace vq::watch {
namespace {

TEST(TreeSample, PssLineOfSmapsRollupIsRead) {
  const char* text =
      "55d0a000-7ffd1000 ---p 00000000 00:00 0                          [rollup]\n"
      "Rss:              102400 kB\n"
      "Pss:               34133 kB\n"
      "Pss_Anon:          34133 kB\n";
  EXPECT_EQ(parse_pss_bytes(text), 34133 * 1024LL);
  EXPECT_FALSE(parse_pss_bytes("Rss: 4 kB\nPss_Anon: 3 kB\n"));
  EXPECT_FALSE(parse_pss_bytes(""));
}

// Two children share 32 MiB their parent touched: PSS gives each a third of it.
TEST(TreeSample, SharedPagesCountOnceOverTheTree) {
  constexpr std::size_t k_size = 32u << 20;
  pid_t root = ::fork();
  ASSERT_GE(root, 0);
  if (root == 0) {
    ::setpgid(0, 0);
    auto* shared = static_cast<char*>(
        ::mmap(nullptr, k_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    for (std::size_t at = 0; at < k_size; at += 4096) shared[at] = 1;
    for (int i = 0; i < 2; ++i) {
      if (::fork() == 0) {
        ::pause();
        _exit(0);
      }
    }
    ::pause();
    _exit(0);
  }
  std::optional<TreeSample> sample;
  for (int attempt = 0; attempt < 200; ++attempt) {
    sample = sample_tree(root);
    if (sample && sample->processes == 3 && sample->memory_bytes > 30 << 20) break;
    ::usleep(10'000);
  }
  ::kill(-root, SIGKILL);
  ::waitpid(root, nullptr, 0);
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->processes, 3);
  EXPECT_FALSE(sample->memory_is_rss);
  EXPECT_GE(sample->memory_bytes, 32 << 20);
  EXPECT_LT(sample->memory_bytes, 48 << 20) << "RSS would count 96 MiB";
}

TEST(TreeSample, GoneRootHasNoSample) {
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(sample_tree(child));
}

}  // namespace
}  // namespace vq::watch
