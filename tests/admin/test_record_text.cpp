// Text a holder's record carries (its directory, its command line) as vq-admin and the log show
// it: bytes that are not UTF-8 must not break `status --json`, and control characters must
// not reach the reader's terminal or forge lines.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "../unit/control_characters.h"
#include "admin_harness.h"

namespace vq::mp {
namespace {

using nlohmann::json;

class RecordTextTest : public AdminTest {
 protected:
  // A holder started in `directory` (created under the test's temporary directory).
  Process start_holder_in(const std::string& directory, const std::vector<std::string>& args) {
    const std::string cwd = tmp() + "/" + directory;
    if (::mkdir(cwd.c_str(), 0700) != 0) throw std::runtime_error("cannot create " + cwd);
    Launch launch =
        shim_launch("holder", {{"VQ_MAX_PROCESSES", "1"}, {"FAKE_SLEEP_MS", "30000"}}, args);
    launch.cwd = cwd;
    Process holder(launch);
    if (!eventually([&] { return has_started("holder") || holder.has_exited(); }) ||
        !has_started("holder")) {
      throw std::runtime_error("holder never started; stderr: " + holder.stderr_text());
    }
    return holder;
  }
};

TEST_F(RecordTextTest, ADirectoryNamedWithByteFfGivesValidJsonWithTheByteAsAnEscape) {
  // A test name of é's longer than the command field: the field cuts it.
  std::string long_name;
  while (long_name.size() < 600) long_name += "\xc3\xa9";
  Process holder = start_holder_in("dir\xff", {"run", "-t", "x" + long_name});

  const AdminResult result = admin({"status", "--json"});
  ASSERT_EQ(result.status, 0) << "status --json failed: " << result.err;
  json status;
  ASSERT_NO_THROW(status = json::parse(result.out)) << result.out;
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["active"][0]["cwd"], real_path(tmp()) + "/dir\\xff");
  const std::string command = status["active"][0]["command"];
  EXPECT_NE(command.find(" run -t x\xc3\xa9\xc3\xa9"), std::string::npos) << command;
  EXPECT_EQ(command.find("\\x"), std::string::npos) << "cut inside a character: " << command;
}

TEST_F(RecordTextTest, ANewlineAndEscapesInTheDirectoryReachNeitherStatusNorTheLogRaw) {
  const std::string forged = "p\n  PID 1 (Agent: root)\x1b]0;owned\x07\x1b[2J";
  Process holder = start_holder_in(forged, {"run", "-t", "a\nb\x1b[31m"});

  const AdminResult result = admin({"status"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(test::control_characters(result.out), 0) << result.out;
  EXPECT_EQ(result.out.find("PID 1 (Agent: root)\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("/p\\n  PID 1 (Agent: root)\\x1b]0;owned\\x07\\x1b[2J: "),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(" run -t a\\nb\\x1b[31m\n"), std::string::npos) << result.out;

  Process watch(admin_launch({"status", "--watch", "--interval", "100"}));
  ASSERT_TRUE(
      eventually([&] { return watch.stdout_text().find("Log file:") != std::string::npos; }));
  watch.send(SIGTERM);
  ASSERT_TRUE(watch.wait(10s));
  EXPECT_EQ(test::control_characters(watch.stdout_text()), 0) << watch.stdout_text();

  const std::string log = read_file(queue_dir() + "/vitest-queue.log");
  EXPECT_NE(log.find(" event=admitted "), std::string::npos) << log;
  EXPECT_EQ(test::control_characters(log), 0) << log;
  EXPECT_NE(log.find("/p\\n  PID 1 (Agent: root)\\x1b]0;owned\\x07\\x1b[2J\n"), std::string::npos)
      << log;
}

}  // namespace
}  // namespace vq::mp
