// Whether the kernel would run a file (preload/exec_image): the preload redirects only those.
#include "exec_image.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace vq::preload {
namespace {

std::string make(const test::TempDir& dir, const std::string& name, const std::string& contents,
                 std::filesystem::perms perms = std::filesystem::perms::owner_all) {
  std::string path = dir / name;
  std::ofstream(path) << contents;
  std::filesystem::permissions(path, perms);
  return path;
}

TEST(ExecImage, ElfBinaryRuns) {
  EXPECT_TRUE(kernel_would_exec("/bin/true"));
}

TEST(ExecImage, ScriptWithAnExecutableInterpreterRuns) {
  test::TempDir dir;
  EXPECT_TRUE(kernel_would_exec(make(dir, "a", "#!/bin/sh\necho hi\n").c_str()));
  EXPECT_TRUE(kernel_would_exec(make(dir, "b", "#! /usr/bin/env node\n").c_str()));
  EXPECT_TRUE(kernel_would_exec(make(dir, "c", "#!/bin/sh -e").c_str()));
}

TEST(ExecImage, ScriptWithoutShebangIsNotRunByTheKernel) {
  // execve fails with ENOEXEC (execvp then falls back to /bin/sh): not for the preload to change.
  test::TempDir dir;
  EXPECT_FALSE(kernel_would_exec(make(dir, "a", "echo hi\n").c_str()));
  EXPECT_FALSE(kernel_would_exec(make(dir, "b", "").c_str()));
}

TEST(ExecImage, MissingOrNonExecutableInterpreterFails) {
  test::TempDir dir;
  EXPECT_FALSE(kernel_would_exec(make(dir, "a", "#!/nonexistent/interpreter\n").c_str()));
  EXPECT_FALSE(kernel_would_exec(make(dir, "b", "#!" + dir / "a.txt" + "\n").c_str()));
  EXPECT_FALSE(kernel_would_exec(make(dir, "c", "#!   \n").c_str()));
}

TEST(ExecImage, NonExecutableOrMissingFileFails) {
  test::TempDir dir;
  EXPECT_FALSE(
      kernel_would_exec(make(dir, "a", "#!/bin/sh\n", std::filesystem::perms::owner_read).c_str()));
  EXPECT_FALSE(kernel_would_exec((dir / "missing").c_str()));
  EXPECT_FALSE(kernel_would_exec(dir.path().c_str()));
}

}  // namespace
}  // namespace vq::preload
