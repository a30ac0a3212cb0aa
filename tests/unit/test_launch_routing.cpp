// A hooked call's way through preload/launch_routing, in process: the real exec functions are
// fakes behind the ExecFunctions seam that record what would have been executed or spawned
// (path, argv, envp) and answer as told, so the error contracts can be checked too.
#include "launch_routing.h"

#include <errno.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace vq::preload {
namespace {

using Words = std::vector<std::string>;

// A NULL-terminated array over owned copies of `words`.
class Array {
 public:
  explicit Array(Words words) : m_words(std::move(words)) {
    for (auto& word : m_words) m_pointers.push_back(word.data());
    m_pointers.push_back(nullptr);
  }
  char* const* get() const { return m_pointers.data(); }

 private:
  Words m_words;
  std::vector<char*> m_pointers;
};

Words words_of(char* const* array) {
  Words words;
  for (; array != nullptr && *array != nullptr; ++array) words.emplace_back(*array);
  return words;
}

struct RecordedCall {
  std::string function;  // which real function the logic called
  std::string path;      // "(null)" for a NULL path
  Words argv;
  Words envp;  // empty for execvp, which takes none
  bool operator==(const RecordedCall&) const = default;
};

// Each fake answers with the next of `answers` (result, errno), then with the last one.
struct FakeState {
  std::vector<RecordedCall> calls;
  std::vector<std::pair<int, int>> answers{{-1, ENOENT}};
  std::pair<int, int> next() {
    std::size_t index = std::min(calls.size() - 1, answers.size() - 1);
    return answers[index];
  }
};
FakeState g_fake;

int record(const char* function, const char* path, char* const argv[], char* const envp[]) {
  g_fake.calls.push_back(
      {function, path != nullptr ? path : "(null)", words_of(argv), words_of(envp)});
  auto [result, error] = g_fake.next();
  errno = error;
  return result;
}
int fake_execve(const char* path, char* const argv[], char* const envp[]) {
  return record("execve", path, argv, envp);
}
int fake_execvp(const char* file, char* const argv[]) {
  return record("execvp", file, argv, nullptr);
}
int fake_execvpe(const char* file, char* const argv[], char* const envp[]) {
  return record("execvpe", file, argv, envp);
}
// A spawn answers with an error number; errno is set to a marker the logic must not pass on.
int fake_spawn(const char* function, pid_t* pid, const char* path, char* const argv[],
               char* const envp[]) {
  int result = record(function, path, argv, envp);
  errno = 4242;
  if (result == 0) *pid = 777;
  return result == 0 ? 0 : g_fake.next().second;
}
int fake_posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t*,
                     const posix_spawnattr_t*, char* const argv[], char* const envp[]) {
  return fake_spawn("posix_spawn", pid, path, argv, envp);
}
int fake_posix_spawnp(pid_t* pid, const char* path, const posix_spawn_file_actions_t*,
                      const posix_spawnattr_t*, char* const argv[], char* const envp[]) {
  return fake_spawn("posix_spawnp", pid, path, argv, envp);
}

const ExecFunctions k_fakes{fake_execve, fake_execvp, fake_execvpe, fake_posix_spawn,
                            fake_posix_spawnp};

// A project with an executable node_modules/.bin/vitest, an executable stand-in shim and a
// plain tool, all real files (the logic asks the kernel's questions: exists, executable, ELF/#!).
class LaunchRoutingTest : public ::testing::Test {
 protected:
  LaunchRoutingTest() {
    g_fake = FakeState{};
    std::filesystem::create_directories(m_dir / "p/node_modules/.bin");
    std::filesystem::create_directories(m_dir / "bin");
    for (const std::string& path : {bin_vitest(), shim(), m_dir / "other-shim", tool()}) {
      std::ofstream(path) << "#!/bin/sh\n";
      std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }
    m_process_environment = std::make_unique<Array>(Words{"PATH=" + m_dir.path() + "/bin"});
  }
  std::string bin_vitest() const { return m_dir / "p/node_modules/.bin/vitest"; }
  std::string shim() const { return m_dir / "shim"; }
  std::string tool() const { return m_dir / "bin/tool"; }
  Routing routing(bool secure = false) const {
    return Routing{&k_fakes, m_shim.c_str(), m_process_environment->get(), secure};
  }
  std::string redirect_entry() const { return "VQ_REDIRECT=1:" + bin_vitest(); }

  test::TempDir m_dir;
  std::string m_shim = shim();
  std::unique_ptr<Array> m_process_environment;
};

TEST_F(LaunchRoutingTest, AnExecThatIsNoLaunchReachesTheRealExecveUnchanged) {
  Array argv({"tool", "a b"});
  Array envp({"A=1", "VQ_DEBUG=1"});
  errno = 0;
  EXPECT_EQ(route_execve(routing(), "execve", tool().c_str(), argv.get(), envp.get()), -1);
  EXPECT_EQ(errno, ENOENT) << "exec returns -1 with the real call's errno";
  ASSERT_EQ(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0],
            (RecordedCall{"execve", tool(), {"tool", "a b"}, {"A=1", "VQ_DEBUG=1"}}));
}

TEST_F(LaunchRoutingTest, ALaunchExecsTheShimWithTheTargetInVqRedirect) {
  Array argv({"vitest", "run"});
  Array envp({"A=1", "VQ_REDIRECT=9:/stale", "B=2"});
  route_execve(routing(), "execve", bin_vitest().c_str(), argv.get(), envp.get());
  ASSERT_GE(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0],
            (RecordedCall{"execve", shim(), {"vitest", "run"}, {"A=1", "B=2", redirect_entry()}}));
}

// The shim's exec failed (here: EACCES), so the original runs, and its errno is the caller's.
TEST_F(LaunchRoutingTest, WhenTheShimCannotBeExecutedTheOriginalRunsWithItsOwnError) {
  g_fake.answers = {{-1, EACCES}, {-1, ENOEXEC}};
  Array argv({"vitest"});
  Array envp({"A=1"});
  errno = 0;
  EXPECT_EQ(route_execve(routing(), "execl", bin_vitest().c_str(), argv.get(), envp.get()), -1);
  EXPECT_EQ(errno, ENOEXEC);
  ASSERT_EQ(g_fake.calls.size(), 2u);
  EXPECT_EQ(g_fake.calls[0].path, shim());
  EXPECT_EQ(g_fake.calls[1], (RecordedCall{"execve", bin_vitest(), {"vitest"}, {"A=1"}}));
}

TEST_F(LaunchRoutingTest, ExecvpSearchesTheProcessPathAndGivesTheShimTheProcessEnvironment) {
  std::filesystem::copy_file(bin_vitest(), m_dir / "bin/vitest");
  Array argv({"vitest"});
  route_execvp(routing(), "execvp", "vitest", argv.get());
  // bin/vitest is not in node_modules/.bin: no launch, the real execvp gets the bare name.
  ASSERT_EQ(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0], (RecordedCall{"execvp", "vitest", {"vitest"}, {}}));

  g_fake = FakeState{};
  m_process_environment =
      std::make_unique<Array>(Words{"PATH=" + bin_vitest().substr(0, bin_vitest().rfind('/'))});
  route_execvp(routing(), "execlp", "vitest", argv.get());
  ASSERT_EQ(g_fake.calls.size(), 2u);
  EXPECT_EQ(g_fake.calls[0].function, "execve");
  EXPECT_EQ(g_fake.calls[0].path, shim());
  EXPECT_EQ(g_fake.calls[0].envp,
            (Words{words_of(m_process_environment->get())[0], redirect_entry()}));
  EXPECT_EQ(g_fake.calls[1], (RecordedCall{"execvp", "vitest", {"vitest"}, {}}));
}

TEST_F(LaunchRoutingTest, VqShimInTheCallsEnvironmentChoosesTheShim) {
  Array argv({"vitest"});
  Array envp({"VQ_SHIM=" + m_dir / "other-shim"});
  route_execvpe(routing(), (bin_vitest()).c_str(), argv.get(), envp.get());
  ASSERT_GE(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0].path, m_dir / "other-shim");
}

TEST_F(LaunchRoutingTest, ASpawnedShimIsTheSpawnsResultAndErrnoIsLeftAlone) {
  g_fake.answers = {{0, 0}};
  Array argv({"vitest", "run"});
  Array envp({"A=1"});
  pid_t pid = -1;
  errno = 11;
  int result = route_spawn(routing(), "posix_spawnp", true, &pid, bin_vitest().c_str(), nullptr,
                           nullptr, argv.get(), envp.get());
  EXPECT_EQ(result, 0);
  EXPECT_EQ(pid, 777);
  EXPECT_EQ(errno, 11) << "a successful spawn of the shim leaves errno as the caller had it";
  ASSERT_EQ(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0],
            (RecordedCall{"posix_spawn", shim(), {"vitest", "run"}, {"A=1", redirect_entry()}}));
}

// The shim's spawn failed (EAGAIN): the original spawn runs, and its error number is the
// result; errno is whatever the real call left (the fake's marker), not set by the logic.
TEST_F(LaunchRoutingTest, WhenSpawningTheShimFailsTheOriginalSpawnsAndItsErrorIsReturned) {
  g_fake.answers = {{-1, EAGAIN}, {-1, ENOEXEC}};
  Array argv({"vitest"});
  Array envp({"A=1"});
  pid_t pid = -1;
  int result = route_spawn(routing(), "posix_spawn", false, &pid, bin_vitest().c_str(), nullptr,
                           nullptr, argv.get(), envp.get());
  EXPECT_EQ(result, ENOEXEC);
  EXPECT_EQ(errno, 4242);
  ASSERT_EQ(g_fake.calls.size(), 2u);
  EXPECT_EQ(g_fake.calls[1], (RecordedCall{"posix_spawn", bin_vitest(), {"vitest"}, {"A=1"}}));
}

TEST_F(LaunchRoutingTest, ANullPathReachesTheRealFunction) {
  Array argv({"x"});
  EXPECT_EQ(route_execve(routing(), "execve", nullptr, argv.get(), argv.get()), -1);
  ASSERT_EQ(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0].path, "(null)");
}

// The shim's environment array is not bounded by the hooks' stack.
TEST_F(LaunchRoutingTest, ALaunchWithMoreThan4096EnvironmentEntriesIsRedirectedWithAllOfThem) {
  Words entries;
  for (int i = 0; i < 5000; ++i) entries.push_back("FILLER_" + std::to_string(i) + "=x");
  Array envp(entries);
  Array argv({"vitest"});
  route_execve(routing(), "execve", bin_vitest().c_str(), argv.get(), envp.get());
  ASSERT_GE(g_fake.calls.size(), 1u);
  EXPECT_EQ(g_fake.calls[0].path, shim());
  entries.push_back(redirect_entry());
  EXPECT_EQ(g_fake.calls[0].envp, entries);
}

// A setuid program's environment is its invoking user's: VQ_SHIM there must not choose what a
// privileged process runs, so nothing is redirected at all.
TEST_F(LaunchRoutingTest, InASecureProcessALaunchPassesThroughUnchanged) {
  Array argv({"vitest"});
  Array envp({"VQ_SHIM=" + m_dir / "other-shim"});
  route_execve(routing(true), "execve", bin_vitest().c_str(), argv.get(), envp.get());
  pid_t pid = -1;
  route_spawn(routing(true), "posix_spawn", false, &pid, bin_vitest().c_str(), nullptr, nullptr,
              argv.get(), envp.get());
  ASSERT_EQ(g_fake.calls.size(), 2u);
  EXPECT_EQ(g_fake.calls[0],
            (RecordedCall{"execve", bin_vitest(), {"vitest"}, words_of(envp.get())}));
  EXPECT_EQ(g_fake.calls[1].path, bin_vitest());
}

}  // namespace
}  // namespace vq::preload
