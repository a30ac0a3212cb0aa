// A vitest launch whose target the kernel refuses although access(X_OK) allows it: a script
// without "#!" (ENOEXEC; execvp and execlp then run it with /bin/sh) or with a "#!" naming a
// missing interpreter (ENOENT). Without the library the caller sees the failure (or glibc's
// fallback) and can handle it; with it the same must happen, not an exec of the shim that then
// fails in the caller's place ("Keep each function's error contract").
#include <string>

#include "preload_fixture.h"

namespace vq::preload_test {
namespace {

class ExecFailureContractTest : public HookTest, public ::testing::WithParamInterface<std::string> {
 protected:
  const std::string& function() const { return GetParam(); }

  void expect_same_as_without_preload(const std::string& script) const {
    make_file("P/node_modules/.bin", "vitest", script, 0755);
    Env env;
    const std::string file = file_for(function(), tmp() + "/P/node_modules/.bin", "vitest", env);
    const auto plain = run_probe(function(), Preload::off, file, {"vitest", "run"}, env);
    const auto hooked = run_probe(function(), Preload::on, file, {"vitest", "run"}, env);
    EXPECT_EQ(without_pids(hooked.out), without_pids(plain.out));
    EXPECT_EQ(hooked.status, plain.status);
    EXPECT_EQ(hooked.err, plain.err);
  }
};

TEST_P(ExecFailureContractTest, VitestLaunchOfAScriptWithoutShebangBehavesAsWithoutThePreload) {
  expect_same_as_without_preload("echo ran without a shebang \"$@\"\n");
}

TEST_P(ExecFailureContractTest, VitestLaunchWithAMissingInterpreterFailsAsWithoutThePreload) {
  expect_same_as_without_preload("#!/nonexistent/interpreter\n");
}

INSTANTIATE_TEST_SUITE_P(EachHook, ExecFailureContractTest, ::testing::ValuesIn(k_hooked_functions),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vq::preload_test
