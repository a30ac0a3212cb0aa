#include "tree_sample.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

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

// A root and two children sharing `shared_bytes` the root touched (none when 0), sampled once
// all three are up.
std::optional<TreeSample> sample_sharing_tree(std::size_t shared_bytes) {
  pid_t root = ::fork();
  if (root < 0) return std::nullopt;
  if (root == 0) {
    ::setpgid(0, 0);
    if (shared_bytes > 0) {
      auto* shared = static_cast<char*>(::mmap(nullptr, shared_bytes, PROT_READ | PROT_WRITE,
                                               MAP_SHARED | MAP_ANONYMOUS, -1, 0));
      for (std::size_t at = 0; at < shared_bytes; at += 4096) shared[at] = 1;
    }
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
    if (sample && sample->processes == 3 &&
        sample->memory_bytes > static_cast<std::int64_t>(shared_bytes)) {
      break;
    }
    ::usleep(10'000);
  }
  ::kill(-root, SIGKILL);
  ::waitpid(root, nullptr, 0);
  return sample;
}

// Two children share 32 MiB their parent touched: PSS gives each a third of it, so the tree
// grows by 32 MiB over the same tree without it (RSS would add 96). Compared with that tree, as
// what the forked test process brings along differs by build (a sanitizer's shadow memory).
TEST(TreeSample, SharedPagesCountOnceOverTheTree) {
  constexpr std::size_t k_size = 32u << 20;
  auto without = sample_sharing_tree(0);
  auto with = sample_sharing_tree(k_size);
  ASSERT_TRUE(without && with);
  EXPECT_EQ(with->processes, 3);
  EXPECT_FALSE(with->memory_is_rss);
  const std::int64_t added = with->memory_bytes - without->memory_bytes;
  EXPECT_GE(added, 28 << 20);
  EXPECT_LT(added, 44 << 20) << "RSS would add 96 MiB";
}

TEST(TreeSample, GoneRootHasNoSample) {
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(sample_tree(child));
}

}  // namespace
}  // namespace vq::watch
