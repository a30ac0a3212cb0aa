#include "script_shell.h"

#include <gtest/gtest.h>

using vq::scriptshell::chained_shell;
using vq::scriptshell::path_with_shims_first;
using vq::scriptshell::shim_dir_beside;

TEST(ScriptShell, PutsTheShimsInFrontOfThePackageManagersBinDirectory) {
  EXPECT_EQ(path_with_shims_first("/p/node_modules/.bin:/usr/bin", "/vq/shims"),
            "/vq/shims:/p/node_modules/.bin:/usr/bin");
}

TEST(ScriptShell, MovesAShimEntryFurtherDownToTheFrontInsteadOfAddingASecond) {
  EXPECT_EQ(path_with_shims_first("/p/node_modules/.bin:/vq/shims:/usr/bin:/vq/shims", "/vq/shims"),
            "/vq/shims:/p/node_modules/.bin:/usr/bin");
}

TEST(ScriptShell, LeavesAPathThatStartsWithTheShimsAsItIs) {
  EXPECT_EQ(path_with_shims_first("/vq/shims:/usr/bin", "/vq/shims"), "/vq/shims:/usr/bin");
}

TEST(ScriptShell, KeepsEmptyEntriesAndEntriesThatOnlyStartLikeTheShimDirectory) {
  EXPECT_EQ(path_with_shims_first("/a::/vq/shims2:", "/vq/shims"), "/vq/shims:/a::/vq/shims2:");
}

TEST(ScriptShell, AnEmptyPathGetsOnlyTheShims) {
  EXPECT_EQ(path_with_shims_first("", "/vq/shims"), "/vq/shims");
}

TEST(ScriptShell, ChainsToTheRecordedShellOrSh) {
  EXPECT_EQ(chained_shell(nullptr), "sh");
  EXPECT_EQ(chained_shell(""), "sh");
  EXPECT_EQ(chained_shell("/bin/bash"), "/bin/bash");
}

TEST(ScriptShell, FindsTheShimsBesideItself) {
  EXPECT_EQ(shim_dir_beside("/usr/local/lib/vq/vq-script-shell"), "/usr/local/lib/vq/shims");
}
