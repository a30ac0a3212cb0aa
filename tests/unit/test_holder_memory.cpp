#include "holder_memory.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace vq {
namespace {

constexpr std::uint64_t k_mib = std::uint64_t{1} << 20;

TEST(HolderMemory, PssIsReadFromSmapsRollup) {
  test::TempDir proc;
  std::filesystem::create_directories(proc / "42");
  std::ofstream(proc / "42/smaps_rollup")
      << "55d0c0000000-7ffc00000000 ---p 00000000 00:00 0   [rollup]\n"
         "Rss:              204800 kB\nPss:              102400 kB\nPss_Anon:  1 kB\n";
  EXPECT_EQ(read_pss_bytes(proc.path(), 42), 100 * k_mib);
  EXPECT_FALSE(read_pss_bytes(proc.path(), 43));
}

TEST(HolderMemory, TreeOfARealProcessCountsWhatItsChildTouched) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::setpgid(0, 0);      // so the test ends child and grandchild together
    if (::fork() == 0) {  // the grandchild holds the memory, as a vitest worker would
      const std::size_t bytes = 96 * k_mib;
      void* memory =
          ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      std::memset(memory, 1, bytes);
      (void)!::write(ready[1], "x", 1);
      ::pause();
    }
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ProcTreeMemory memory;
  auto bytes = memory.current_bytes(child);
  ::kill(-child, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_TRUE(bytes);
  EXPECT_GE(*bytes, 96 * k_mib);
  EXPECT_LT(*bytes, 200 * k_mib);
  EXPECT_FALSE(memory.current_bytes(child));  // gone
}

}  // namespace
}  // namespace vq
