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

// Whether vitest only prints (help, its version) or runs no tests (`init` on 2.x and later,
// `complete` on 4.x and later, as the first argument; earlier, both are test filters, and
// `doctor` runs tests on every version): such a launch takes no slot and gets nothing added.
// Measured on 1.6, 2.1, 3.2, 4.1 and 5.1 (tests/unit/test_single_worker.cpp). vitest's CLI (cac)
// prints help for --help or -h before "--" whatever the command, but the version for --version
// or -v only when no subcommand matched: `vitest run --version` runs the tests. A subcommand is
// matched when the first positional argument names one of that version's commands; vq counts
// any argument naming one (it cannot tell an option's value from a positional), so a launch
// that only prints may be queued, never the other way round. Unknown version: every version's
// commands count.
bool is_informational(const std::vector<std::string>& args,
                      const std::optional<VitestVersion>& version);

// The arguments with the version's single-worker flag inserted before any "--", unless the
// user already chose file parallelism. Unknown version: the arguments unchanged (vitest
// rejects unknown flags, so only the environment route is safe). On 5.x also
// --experimental.diagnostics.isolate=false, unless the user set diagnostics: vitest 5 hints
// that `isolate: false` would be faster when it spawned more workers than ran at once
// (maxWorkers), which the forced single worker makes true of every run of several files. The
// option turns off that hint alone and changes nothing else.
std::vector<std::string> single_worker_args(const std::vector<std::string>& args,
                                            const std::optional<VitestVersion>& version);

// Read by 4.x–5.x (VITEST_MAX_WORKERS) and 1.x–3.x (the rest; MIN set with MAX, or 1.x–3.x can
// reject the pair as conflicting). Unknown variables are ignored, so all are always safe.
std::vector<std::pair<std::string, std::string>> single_worker_env();

// VQ_WORKERS: `workers` (>= 1) at most. One is single_worker_args/single_worker_env. More: the
// arguments unchanged (no --no-file-parallelism, which means one) and the MAX variables set to
// `workers` with the MIN ones at 1, so a config's minForks above it cannot conflict.
std::vector<std::string> worker_args(const std::vector<std::string>& args,
                                     const std::optional<VitestVersion>& version, int workers);
std::vector<std::pair<std::string, std::string>> worker_env(int workers);

}  // namespace vq
