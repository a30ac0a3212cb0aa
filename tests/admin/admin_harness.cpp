#include "admin_harness.h"

#include <sys/wait.h>

namespace vq::mp {

std::string admin_path() {
  return VQ_ADMIN_PATH;
}

Launch AdminTest::admin_launch(const std::vector<std::string>& args, const Env& overrides) const {
  const std::string id = "admin" + std::to_string(++m_runs);
  Launch launch;
  launch.program = admin_path();
  launch.argv = {admin_path()};
  launch.argv.insert(launch.argv.end(), args.begin(), args.end());
  launch.env = env_for(id, overrides);
  launch.stdout_path = tmp() + "/" + id + ".out";
  launch.stderr_path = tmp() + "/" + id + ".err";
  return launch;
}

AdminResult run_admin(const Launch& launch) {
  Process process(launch);
  AdminResult result;
  const auto status = process.wait();
  if (status && WIFEXITED(*status)) result.status = WEXITSTATUS(*status);
  result.out = process.stdout_text();
  result.err = process.stderr_text();
  return result;
}

AdminResult AdminTest::admin(const std::vector<std::string>& args, const Env& overrides) const {
  return run_admin(admin_launch(args, overrides));
}

nlohmann::json AdminTest::status_json() const {
  const AdminResult result = admin({"status", "--json"});
  EXPECT_EQ(result.status, 0) << result.err;
  try {
    return nlohmann::json::parse(result.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "status --json is not JSON (" << e.what() << "): " << result.out;
    return nlohmann::json::object();
  }
}

}  // namespace vq::mp
