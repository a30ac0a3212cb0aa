// Forcing a vitest run to one worker, by what each vitest version accepts (see DESIGN.md).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vq {

struct VitestVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const VitestVersion&) const = default;
};

std::optional<VitestVersion> parse_version(const std::string& text);

// Reads "version" from vitest's package.json: beside the resolved vitest.mjs, or, for a
// node_modules/.bin/vitest launcher (npm symlink or pnpm script), node_modules/vitest.
std::optional<VitestVersion> detect_vitest_version(const std::string& real_vitest);

// --version, -v, --help, -h anywhere before "--", or a first argument of init, complete or
// doctor: these run no tests, take no slot and get nothing added.
bool is_informational(const std::vector<std::string>& args);

// The arguments with the version's single-worker flag inserted before any "--", unless the
// user already chose file parallelism. Unknown version: the arguments unchanged (vitest
// rejects unknown flags, so only the environment route is safe).
std::vector<std::string> single_worker_args(const std::vector<std::string>& args,
                                            const std::optional<VitestVersion>& version);

// Read by 4.x–5.x (VITEST_MAX_WORKERS) and 1.x–3.x (the rest; MIN set with MAX, or 1.x–3.x can
// reject the pair as conflicting). Unknown variables are ignored, so all are always safe.
std::vector<std::pair<std::string, std::string>> single_worker_env();

}  // namespace vq
