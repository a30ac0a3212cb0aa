// PATH search as glibc's execvp does it (preload/path_search).
#include "path_search.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace vq::preload {
namespace {

void make_file(const std::string& path, mode_t mode) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "#!/bin/sh\n";
  ::chmod(path.c_str(), mode);
}

std::string search(const std::string& file, const char* path_variable) {
  char out[4096];
  return search_path(file.c_str(), path_variable, out, sizeof out) ? out : "<none>";
}

TEST(PathSearch, FirstExecutableEntryWins) {
  test::TempDir dir;
  make_file(dir / "a/tool", 0755);
  make_file(dir / "b/tool", 0755);
  std::string path = dir / "a" + ":" + dir / "b";
  EXPECT_EQ(search("tool", path.c_str()), dir / "a/tool");
}

TEST(PathSearch, NonExecutableAndDirectoryCandidatesAreSkippedAsGlibcDoes) {
  test::TempDir dir;
  make_file(dir / "a/tool", 0644);
  std::filesystem::create_directories(dir / "b/tool");
  make_file(dir / "c/tool", 0755);
  std::string path = dir / "missing" + ":" + dir / "a" + ":" + dir / "b" + ":" + dir / "c";
  EXPECT_EQ(search("tool", path.c_str()), dir / "c/tool");
}

TEST(PathSearch, NothingFoundIsFalse) {
  test::TempDir dir;
  std::string path = dir.path();
  EXPECT_EQ(search("tool", path.c_str()), "<none>");
  EXPECT_EQ(search("", path.c_str()), "<none>");
}

TEST(PathSearch, NameWithSlashIsNotSearched) {
  EXPECT_EQ(search("./x/tool", "/nonexistent"), "./x/tool");
  EXPECT_EQ(search("/abs/tool", "/nonexistent"), "/abs/tool");
}

TEST(PathSearch, EmptyEntryMeansTheWorkingDirectory) {
  test::TempDir dir;
  make_file(dir / "tool", 0755);
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  std::string found = search("tool", (dir / "none" + "::/nonexistent").c_str());
  std::filesystem::current_path(old);
  EXPECT_EQ(found, "tool");
}

TEST(PathSearch, UnsetPathUsesGlibcsDefault) {
  EXPECT_EQ(search("sh", nullptr), "/bin/sh");
}

TEST(PathSearch, ResultLongerThanTheBufferIsRefused) {
  std::string long_dir(5000, 'd');
  char out[64];
  EXPECT_FALSE(search_path("sh", ("/" + long_dir + ":/bin").c_str(), out, 6));
}

}  // namespace
}  // namespace vq::preload
