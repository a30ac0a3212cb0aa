// vq-admin's command line itself: --version, the help verb, where --queue-dir may stand, one
// rule for a queue directory however it is given, and what a bad limit is called.
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminCliTest = AdminTest;

TEST_F(AdminCliTest, VersionPrintsTheProjectVersion) {
  const AdminResult result = admin({"--version"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, std::string("vq-admin ") + VQ_PROJECT_VERSION + "\n") << result.err;
}

TEST_F(AdminCliTest, HelpVerbPrintsWhatHelpOptionPrints) {
  const AdminResult option = admin({"--help"});
  const AdminResult verb = admin({"help"});
  EXPECT_EQ(verb.status, 0) << verb.err;
  EXPECT_EQ(verb.out, option.out);
  EXPECT_NE(verb.out.find("status"), std::string::npos) << verb.out;
  EXPECT_EQ(admin({"help", "limit"}).out, admin({"limit", "--help"}).out);
}

TEST_F(AdminCliTest, QueueDirAfterTheVerbChoosesTheQueue) {
  Process holder = start_holder("holder", {{"FAKE_SLEEP_MS", "30000"}});
  const Env elsewhere{{"VQ_QUEUE_DIR", tmp() + "/other"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"status", "--json", "--queue-dir", queue_dir()},
        std::vector<std::string>{"status", "--queue-dir=" + queue_dir(), "--json"}}) {
    const AdminResult result = admin(args, elsewhere);
    ASSERT_EQ(result.status, 0) << result.err;
    const auto status = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_EQ(status["queue_dir"], queue_dir()) << result.out;
    ASSERT_EQ(status["active"].size(), 1u) << result.out;
    EXPECT_EQ(status["active"][0]["pid"], holder.pid());
  }
}

TEST_F(AdminCliTest, RelativeQueueDirIsTheSameConfigErrorFromTheOptionAndTheVariable) {
  const AdminResult option = admin({"--queue-dir", "relative", "status"});
  EXPECT_EQ(option.status, 78) << option.err;
  EXPECT_NE(option.err.find("vq-admin: error: --queue-dir relative is not valid: expected an "
                            "absolute path"),
            std::string::npos)
      << option.err;
  const AdminResult variable = admin({"status"}, {{"VQ_QUEUE_DIR", "relative"}});
  EXPECT_EQ(variable.status, 78) << variable.err;
  EXPECT_NE(variable.err.find("vq-admin: error: VQ_QUEUE_DIR=relative is not valid: expected an "
                              "absolute path"),
            std::string::npos)
      << variable.err;
  EXPECT_EQ(admin({"limit", "2", "--queue-dir", "relative"}).status, 78);
}

TEST_F(AdminCliTest, LimitThatIsNotAWholeNumberIsCalledThat) {
  for (const char* text : {"abc", "1.5", "2x"}) {
    const AdminResult result = admin({"limit", text});
    EXPECT_EQ(result.status, 2) << text;
    EXPECT_NE(result.err.find(std::string("'") + text + "' is not a whole number"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(result.err.find("not in range"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace vq::mp
