#include "launch_match.h"

#include <unistd.h>

#include <initializer_list>
#include <iterator>

#include "bounded_text.h"

namespace vq::preload {
namespace {

bool is_node(const char* program) {
  const char* name = base_name(program);
  return equals(name, "node") || equals(name, "nodejs");
}

// "…/node_modules/.bin/vitest", or that relative path itself.
bool is_bin_vitest(const char* path) {
  constexpr char suffix[] = "node_modules/.bin/vitest";
  if (!ends_with(path, suffix)) return false;
  std::size_t before = std::strlen(path) - (sizeof suffix - 1);
  return before == 0 || path[before - 1] == '/';
}

// Node options that take the next argument as their value when not written as --name=value.
constexpr const char* k_value_options[] = {
    "-r",
    "--require",
    "--import",
    "--loader",
    "-C",
    "--conditions",
    "--input-type",
    "--inspect-port",
    "--debug-port",
    "--env-file",
    "--title",
    "--openssl-config",
    "--icu-data-dir",
    "--redirect-warnings",
    "--diagnostic-dir",
    "--report-dir",
    "--report-directory",
    "--report-filename",
    "--report-signal",
    "--disable-warning",
    "--experimental-loader",
    "--dns-result-order",
    "--unhandled-rejections",
    "--watch-path",
};

// Options after which node runs no script file at all.
constexpr const char* k_no_script_options[] = {
    "-e", "--eval",    "-p", "--print", "-i",           "--interactive", "-c",     "--check",
    "-v", "--version", "-h", "--help",  "--v8-options", "--run",         "--test", "-",
};

bool listed(const char* arg, const char* const* list, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (equals(arg, list[i])) return true;
  }
  return false;
}

// Index of node's script argument, or 0 when node runs no script (or the options are odd).
int script_index(char* const argv[]) {
  for (int i = 1; argv[i] != nullptr; ++i) {
    const char* arg = argv[i];
    if (arg[0] != '-') return i;
    if (equals(arg, "--")) return argv[i + 1] != nullptr ? i + 1 : 0;
    if (listed(arg, k_no_script_options, std::size(k_no_script_options))) return 0;
    // "--eval=CODE" and the like run no script either.
    for (const char* option : {"--eval=", "--print=", "--run=", "--test="}) {
      if (starts_with(arg, option)) return 0;
    }
    if (listed(arg, k_value_options, std::size(k_value_options))) {
      if (argv[i + 1] == nullptr) return 0;
      ++i;
      continue;
    }
    // Bundled short options ("-pe") might hide an eval: doubt means "not a launch".
    if (arg[1] != '-' && arg[2] != '\0') return 0;
  }
  return 0;
}

bool is_vitest_script(const char* script, MatchBuffers& buffers) {
  const char* absolute = script;
  if (script[0] != '/') {
    char* buffer = buffers.script;
    if (::getcwd(buffer, k_path_capacity) == nullptr) return false;
    if (!append(buffer, k_path_capacity, "/") || !append(buffer, k_path_capacity, script)) {
      return false;
    }
    absolute = buffer;
  }
  // Covers npm's package directory, pnpm's .pnpm/vitest@…/node_modules/vitest/ and yarn PnP's
  // …/vitest-npm-<version>-….zip/node_modules/vitest/.
  if (ends_with(absolute, "/vitest/vitest.mjs")) return true;
  if (is_bin_vitest(absolute)) return true;
  // A global install: /usr/local/bin/vitest -> ../lib/node_modules/vitest/vitest.mjs.
  if (!equals(base_name(absolute), "vitest")) return false;
  char* target = buffers.link_target;
  ssize_t length = ::readlink(absolute, target, k_path_capacity);
  // A target that fills the buffer may be cut short: its end is unknown, so it is no match.
  if (length <= 0 || static_cast<std::size_t>(length) >= k_path_capacity) return false;
  target[length] = '\0';
  return ends_with(target, "vitest/vitest.mjs");
}

}  // namespace

// Runs on every exec in every process: plain loops, no libc call. (A call into libc from here
// would be bound lazily, on first use, in every forked child that execs.)
bool is_launch_candidate(const char* program) {
  const char* name = program;
  for (const char* p = program; *p != '\0'; ++p) {
    if (*p == '/') name = p + 1;
  }
  auto is = [name](const char* word) {
    const char* a = name;
    const char* b = word;
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
  };
  return (name[0] == 'v' && is("vitest")) || (name[0] == 'n' && (is("node") || is("nodejs")));
}

LaunchMatch match_launch(const char* program, char* const argv[], MatchBuffers& buffers) {
  LaunchMatch match;
  if (program == nullptr || argv == nullptr || argv[0] == nullptr) return match;
  if (is_bin_vitest(program)) {
    match.kind = LaunchKind::bin_script;
    match.first_vitest_arg = 1;
    match.why = "exec of node_modules/.bin/vitest";
    return match;
  }
  if (!is_node(program)) return match;
  int script = script_index(argv);
  if (script == 0 || !is_vitest_script(argv[script], buffers)) return match;
  match.kind = LaunchKind::node_script;
  match.first_vitest_arg = script + 1;
  match.why = "node running vitest's vitest.mjs";
  return match;
}

}  // namespace vq::preload
