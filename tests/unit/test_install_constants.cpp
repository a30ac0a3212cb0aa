// vq-install's constants (install/constants.sh, which CMake generates from the headers) are the
// ones the shim and vq-admin are built with: a definition the generator misreads, or one added
// to the script's side alone, fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "config.h"
#include "estimate_cache.h"
#include "exit_codes.h"
#include "live_figures.h"
#include "queue_dir.h"

namespace vq {
namespace {

// name=value lines of a generated shell file; single quotes around a value are removed.
std::map<std::string, std::string> read_assignments(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string value = line.substr(equals + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    values[line.substr(0, equals)] = value;
  }
  return values;
}

TEST(InstallConstants, AreTheValuesTheShimAndVqAdminAreBuiltWith) {
  auto values = read_assignments(VQ_CONSTANTS_SH);
  const std::map<std::string, std::string> expected = {
      {"vq_max_limit", std::to_string(k_max_limit)},
      {"vq_default_limit", std::to_string(k_default_limit)},
      {"vq_table_file", k_table_file},
      {"vq_lock_file", k_lock_file},
      {"vq_log_file", k_log_file},
      {"vq_wake_file", k_wake_file},
      {"vq_live_figures_file", k_live_figures_file},
      {"vq_estimates_file", k_estimates_file},
      {"vq_queue_dir_prefix", k_private_queue_dir_prefix},
      {"vq_exit_config", std::to_string(admin::k_exit_config)},
  };
  // Every constant the script reads is compared: none may exist on its side only.
  EXPECT_EQ(values, expected) << VQ_CONSTANTS_SH;
}

}  // namespace
}  // namespace vq
