// `vq-admin doctor` finds a shim missing from PATH and an inactive preload, with a fix for each.
#include <string>

#include "admin_harness.h"

namespace vq::mp {
namespace {

using AdminDoctorTest = AdminTest;

std::string directory_of(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

TEST_F(AdminDoctorTest, ReportsShimMissingFromPathAndPreloadMissingWithFixes) {
  const AdminResult result =
      admin({"doctor"}, {{"PATH", "/usr/bin:/bin"}, {"LD_PRELOAD", ""}, {"VQ_REAL_VITEST", ""}});
  EXPECT_EQ(result.status, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("FAIL  PATH"), std::string::npos) << result.out;
  EXPECT_NE(
      result.out.find("fix: export PATH=\"" + directory_of(real_path(shim_path())) + ":$PATH\""),
      std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("FAIL  preload"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("export LD_PRELOAD="), std::string::npos) << result.out;
  // No VQ_REAL_VITEST and no vitest here or on PATH: a launch here would fail.
  EXPECT_NE(result.out.find("FAIL  vitest"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ok    queue"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("3 problems found."), std::string::npos) << result.out;
}

TEST_F(AdminDoctorTest, ShimFirstOnPathPassesAndTheRealVitestHereIsNamed) {
  const std::string shim_dir = directory_of(real_path(shim_path()));
  const AdminResult result = admin({"doctor"}, {{"PATH", shim_dir + ":/usr/bin:/bin"}});
  EXPECT_NE(result.out.find("ok    PATH"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ok    vitest  here the shim would run " + fake_vitest_path()),
            std::string::npos)
      << result.out;
  // Still no preload in this environment: one problem, non-zero.
  EXPECT_EQ(result.status, 1) << result.out;
  EXPECT_NE(result.out.find("1 problem found."), std::string::npos) << result.out;
}

TEST_F(AdminDoctorTest, PreloadNamedButMissingIsAProblem) {
  const AdminResult result = admin({"doctor"}, {{"LD_PRELOAD", tmp() + "/gone/libvq-preload.so"}});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.out.find("which does not exist"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace vq::mp
