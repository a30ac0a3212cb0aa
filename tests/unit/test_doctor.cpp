#include "doctor.h"

#include <sys/stat.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace vq::admin {
namespace {

struct Fixture {
  test::TempDir tmp;
  std::map<std::string, std::string> vars;
  std::string shim_dir = tmp / "shims";
  std::string installer;  // this installation's vq-install; empty: none
  std::string queue_dir;  // --queue-dir; empty: VQ_QUEUE_DIR (set below)
  Fixture() {
    std::filesystem::create_directory(shim_dir);
    std::ofstream(shim_dir + "/vitest") << "#!/bin/sh\n";
    ::chmod((shim_dir + "/vitest").c_str(), 0755);
    vars["VQ_QUEUE_DIR"] = tmp / "queue";
  }
  DoctorInputs inputs() {
    EnvLookup env = [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
    return DoctorInputs{env,       tmp.path(), shim_dir + "/vitest", tmp / "lib/libvq-preload.so",
                        queue_dir, installer};
  }
  DoctorCheck check(const std::string& name) {
    for (const DoctorCheck& c : run_doctor(inputs())) {
      if (c.name == name) return c;
    }
    return {};
  }
};

TEST(Doctor, ShimNotFirstOnPathIsAProblemWithTheExportThatFixesIt) {
  Fixture f;
  f.vars["PATH"] = "/usr/bin:/bin";
  DoctorCheck path = f.check("PATH");
  EXPECT_FALSE(path.ok);
  EXPECT_EQ(path.fix.rfind("export PATH=\"" + f.shim_dir + ":$PATH\"", 0), 0u) << path.fix;
}

TEST(Doctor, ShimFirstOnPathIsFine) {
  Fixture f;
  f.vars["PATH"] = f.shim_dir + ":/usr/bin";
  EXPECT_TRUE(f.check("PATH").ok) << f.check("PATH").found;
}

TEST(Doctor, AnotherVitestAheadOfTheShimIsNamed) {
  Fixture f;
  std::filesystem::create_directory(f.tmp / "other");
  std::ofstream(f.tmp / "other/vitest") << "#!/bin/sh\n";
  ::chmod((f.tmp / "other/vitest").c_str(), 0755);
  f.vars["PATH"] = f.tmp / "other" + ":" + f.shim_dir;
  DoctorCheck path = f.check("PATH");
  EXPECT_FALSE(path.ok);
  EXPECT_NE(path.found.find(f.tmp / "other/vitest"), std::string::npos) << path.found;
}

TEST(Doctor, TheScriptsWiringNeedsNoPreloadAndSaysWhatItCovers) {
  Fixture f;
  f.vars["npm_config_script_shell"] = f.tmp / "lib/vq-script-shell";
  DoctorCheck preload = f.check("preload");
  EXPECT_TRUE(preload.ok) << preload.found;
  EXPECT_EQ(preload.found.rfind("wiring scripts", 0), 0u) << preload.found;
  EXPECT_NE(preload.found.find("pnpm exec"), std::string::npos) << preload.found;
  f.vars["npm_config_script_shell"] = "/bin/bash";
  EXPECT_FALSE(f.check("preload").ok) << "a user's own script shell is not vq's wiring";
}

TEST(Doctor, PreloadAbsentOrMissingIsAProblemPresentIsFine) {
  Fixture f;
  EXPECT_FALSE(f.check("preload").ok);
  f.vars["LD_PRELOAD"] = f.tmp / "nowhere/libvq-preload.so";
  EXPECT_FALSE(f.check("preload").ok);
  std::filesystem::create_directory(f.tmp / "lib");
  std::ofstream(f.tmp / "lib/libvq-preload.so") << "";
  f.vars["LD_PRELOAD"] = "/x/other.so:" + (f.tmp / "lib/libvq-preload.so");
  EXPECT_TRUE(f.check("preload").ok) << f.check("preload").found;
}

TEST(Doctor, BadConfigurationIsAQueueProblem) {
  Fixture f;
  f.vars["VQ_MAX_PROCESSES"] = "abc";
  DoctorCheck queue = f.check("queue");
  EXPECT_FALSE(queue.ok);
  EXPECT_NE(queue.found.find("VQ_MAX_PROCESSES"), std::string::npos);
}

TEST(Doctor, UnwiredShellIsToldToRunVqInstallForEveryNewShell) {
  Fixture f;
  f.vars["PATH"] = "/usr/bin:/bin";
  f.installer = f.tmp / "bin/vq-install";
  EXPECT_NE(f.check("PATH").fix.find("for every new shell run " + f.installer), std::string::npos)
      << f.check("PATH").fix;
  EXPECT_NE(f.check("preload").fix.find("for every new shell run " + f.installer),
            std::string::npos)
      << f.check("preload").fix;
  f.installer.clear();
  EXPECT_NE(f.check("PATH").fix.find("install/vq-install"), std::string::npos)
      << f.check("PATH").fix;
}

TEST(Doctor, NoRealVitestHereIsAProblemWithAFix) {
  Fixture f;
  f.vars["PATH"] = f.shim_dir;  // only the shim, which is never the real vitest
  DoctorCheck vitest = f.check("vitest");
  EXPECT_FALSE(vitest.ok) << vitest.found;
  EXPECT_NE(vitest.found.find("no real vitest"), std::string::npos) << vitest.found;
  EXPECT_NE(vitest.fix.find("VQ_REAL_VITEST"), std::string::npos) << vitest.fix;
}

TEST(Doctor, TheQueueDirectoryGivenIsTheOneCheckedAndHeldToTheSameRule) {
  Fixture f;
  f.queue_dir = f.tmp / "given";
  DoctorCheck queue = f.check("queue");
  EXPECT_TRUE(queue.ok) << queue.found;
  EXPECT_EQ(queue.found.rfind(f.tmp / "given" + " is sound", 0), 0u) << queue.found;
  f.queue_dir = "relative";
  queue = f.check("queue");
  EXPECT_FALSE(queue.ok);
  EXPECT_EQ(queue.found, "--queue-dir relative is not valid: expected an absolute path");
  EXPECT_EQ(queue.fix, "give --queue-dir an absolute path");
}

TEST(Doctor, SummaryCountsProblems) {
  std::vector<DoctorCheck> checks{{"PATH", false, "x", "fix it"}, {"queue", true, "fine", ""}};
  std::string text = render_doctor(checks, false);
  EXPECT_NE(text.find("FAIL  PATH    x\n            fix: fix it\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1 problem found."), std::string::npos);
}

}  // namespace
}  // namespace vq::admin

namespace vq::admin {
namespace {

TEST(Doctor, HistoryNamesWhereRunsAreRecordedWithoutCreatingTheFile) {
  Fixture f;
  f.vars["XDG_STATE_HOME"] = f.tmp / "state";
  DoctorCheck history = f.check("history");
  EXPECT_TRUE(history.ok) << history.found;
  EXPECT_NE(history.found.find(f.tmp / "state/vq/history.sqlite"), std::string::npos)
      << history.found;
  EXPECT_FALSE(std::filesystem::exists(f.tmp / "state/vq/history.sqlite"));
}

TEST(Doctor, ACorruptHistoryIsMovedAsideAndSaidSoOnce) {
  Fixture f;
  f.vars["VQ_HISTORY"] = f.tmp / "history.sqlite";
  std::ofstream(f.tmp / "history.sqlite") << std::string(8192, 'x');
  DoctorCheck history = f.check("history");
  EXPECT_NE(history.found.find("moved it aside"), std::string::npos) << history.found;
  EXPECT_EQ(f.check("history").found, "runs are recorded in " + f.tmp / "history.sqlite");
}

TEST(Doctor, AnUnusableGroupHistoryIsAProblemWithItsFix) {
  Fixture f;
  f.vars["XDG_STATE_HOME"] = f.tmp / "state";
  f.vars["VQ_GROUP"] = "64999";  // a group the caller is not in
  DoctorCheck history = f.check("history");
  EXPECT_FALSE(history.ok);
  EXPECT_NE(history.found.find("/var/tmp/vq-g64999"), std::string::npos) << history.found;
  EXPECT_NE(history.fix.find("VQ_HISTORY"), std::string::npos);
}

}  // namespace
}  // namespace vq::admin
