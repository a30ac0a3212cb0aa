// A configuration value vq cannot read refuses the run with 78 and names the variable, rather
// than guessing a limit or a timeout.
#include <string>

#include "process_harness.h"

namespace vq::mp {
namespace {

struct BadSetting {
  const char* name;
  const char* variable;
  const char* value;
};

class BadConfigTest : public ShimTest, public ::testing::WithParamInterface<BadSetting> {};

TEST_P(BadConfigTest, RefusesWith78NamingTheVariableWithoutRunningTheTests) {
  Process run(shim_launch("run", {{GetParam().variable, GetParam().value}}));
  const auto status = run.wait();
  ASSERT_TRUE(status);
  EXPECT_EQ(describe_status(*status), exited(78)) << "stderr: " << run.stderr_text();
  EXPECT_NE(run.stderr_text().find(GetParam().variable), std::string::npos) << run.stderr_text();
  EXPECT_FALSE(has_started("run"));
}

INSTANTIATE_TEST_SUITE_P(
    Settings, BadConfigTest,
    ::testing::Values(BadSetting{"MaxProcessesWord", "VQ_MAX_PROCESSES", "abc"},
                      BadSetting{"MaxProcessesTrailingGarbage", "VQ_MAX_PROCESSES", "4x"},
                      BadSetting{"MaxProcessesNegative", "VQ_MAX_PROCESSES", "-1"},
                      BadSetting{"MaxProcessesZero", "VQ_MAX_PROCESSES", "0"},
                      BadSetting{"QueueTimeoutWord", "VQ_QUEUE_TIMEOUT", "soon"},
                      BadSetting{"QueueTimeoutNegative", "VQ_QUEUE_TIMEOUT", "-1"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vq::mp
