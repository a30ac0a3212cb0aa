// `vq-admin run <agent_id> [args…]` behaves exactly like the shim launched with VQ_AGENT_ID.
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminRunTest = AdminTest;

TEST_F(AdminRunTest, RunsVitestLikeTheShimWithTheAgentIdAndItsExitStatus) {
  const Env echo{{"FAKE_ECHO_ARGV", "1"},
                 {"FAKE_ECHO_ENV", "VQ_AGENT_ID,VITEST_MAX_WORKERS"},
                 {"FAKE_EXIT", "3"}};
  Launch via_admin = admin_launch({"run", "agent-1", "--run", "--help", "-t", "x"}, echo);
  Process admin_run(via_admin);
  Env shim_env = echo;
  shim_env["VQ_AGENT_ID"] = "agent-1";
  Launch via_shim = shim_launch("shim", shim_env, {"--run", "--help", "-t", "x"});
  via_shim.argv[0] = "vitest";
  Process shim_run(via_shim);

  const auto admin_status = admin_run.wait();
  const auto shim_status = shim_run.wait();
  ASSERT_TRUE(admin_status && shim_status);
  EXPECT_EQ(describe_status(*admin_status), exited(3)) << admin_run.stderr_text();
  EXPECT_EQ(describe_status(*shim_status), exited(3));
  EXPECT_EQ(admin_run.stdout_text(), shim_run.stdout_text());
  EXPECT_NE(admin_run.stdout_text().find("env VQ_AGENT_ID=agent-1"), std::string::npos)
      << admin_run.stdout_text();
  EXPECT_NE(admin_run.stdout_text().find("argv[2]=--help"), std::string::npos)
      << "vitest's arguments, --help included, go to vitest: " << admin_run.stdout_text();
}

TEST_F(AdminRunTest, WaitsInTheSameQueueAndTimesOutWithTheShimsStatus) {
  Process holder = start_holder(
      "holder",
      {{"VQ_MAX_PROCESSES", "1"}, {"VQ_AGENT_ID", "agent-1"}, {"FAKE_SLEEP_MS", "30000"}});
  Process admin_run(admin_launch({"run", "agent-2", "--run"}, {{"VQ_QUEUE_TIMEOUT", "1"}}));
  Process shim_run(shim_launch("shim", {{"VQ_AGENT_ID", "agent-3"}, {"VQ_QUEUE_TIMEOUT", "1"}}));
  const auto admin_status = admin_run.wait();
  const auto shim_status = shim_run.wait();
  ASSERT_TRUE(admin_status && shim_status);
  EXPECT_EQ(describe_status(*admin_status), exited(75)) << admin_run.stderr_text();
  EXPECT_EQ(describe_status(*shim_status), exited(75));
  EXPECT_NE(admin_run.stderr_text().find("vq: gave up after"), std::string::npos);
}

TEST_F(AdminRunTest, RunningHolderShowsItsAgentInStatus) {
  Process admin_run(
      admin_launch({"run", "agent-42", "--run"}, {{"FAKE_ID", "ran"}, {"FAKE_SLEEP_MS", "30000"}}));
  ASSERT_TRUE(eventually([&] { return has_started("ran"); })) << admin_run.stderr_text();
  const nlohmann::json status = status_json();
  ASSERT_EQ(status["active"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["active"][0]["agent"], "agent-42");
  EXPECT_EQ(status["active"][0]["pid"], admin_run.pid()) << "vq-admin became the run, same pid";
}

}  // namespace
}  // namespace vq::mp

namespace vq::mp {
namespace {

using AdminRunQueueDirTest = AdminTest;

// --queue-dir reaches the shim as its VQ_QUEUE_DIR, before or after the verb's agent id form.
TEST_F(AdminRunQueueDirTest, QueueDirOptionBecomesTheShimsQueue) {
  const Env echo{{"FAKE_ECHO_ENV", "VQ_QUEUE_DIR,VQ_AGENT_ID"},
                 {"VQ_QUEUE_DIR", tmp() + "/elsewhere"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--queue-dir", queue_dir(), "run", "agent-1", "--run"},
        std::vector<std::string>{"run", "--queue-dir", queue_dir(), "agent-1", "--run"}}) {
    const AdminResult result = admin(args, echo);
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("env VQ_QUEUE_DIR=" + queue_dir() + "\n"), std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("env VQ_AGENT_ID=agent-1\n"), std::string::npos) << result.out;
  }
}

}  // namespace
}  // namespace vq::mp
