#include "single_worker.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace vq {
namespace {

bool starts_with_any(const std::string& arg, std::initializer_list<const char*> prefixes) {
  for (const char* prefix : prefixes) {
    if (arg.starts_with(prefix)) return true;
  }
  return false;
}

std::optional<VitestVersion> version_from_package_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  auto name = json.find("name");
  if (name == json.end() || !name->is_string() || name->get<std::string>() != "vitest") {
    return std::nullopt;
  }
  auto version = json.find("version");
  if (version == json.end() || !version->is_string()) return std::nullopt;
  return parse_version(version->get<std::string>());
}

std::string dirname_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

std::optional<VitestVersion> parse_version(const std::string& text) {
  VitestVersion version;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  if (p != end && *p == 'v') ++p;
  int* parts[] = {&version.major, &version.minor, &version.patch};
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc{} || next == p) return std::nullopt;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  // Anything after the patch must be a pre-release or build suffix.
  if (p != end && *p != '-' && *p != '+') return std::nullopt;
  return version;
}

namespace {

// The path with every symlink resolved. realpath(3) asks readlink of each component in turn
// (a path walk each, on every launch); the kernel's own name for an O_PATH descriptor costs one
// walk. realpath remains the fallback without /proc.
std::optional<std::string> resolved_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd >= 0) {
    char target[PATH_MAX];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    ::close(fd);
    if (n > 0 && n < static_cast<ssize_t>(sizeof target) && target[0] == '/') {
      return std::string(target, static_cast<std::size_t>(n));
    }
  }
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) != nullptr) return std::string(resolved);
  return std::nullopt;
}

}  // namespace

std::optional<VitestVersion> detect_vitest_version(const std::string& real_vitest) {
  if (auto resolved = resolved_path(real_vitest)) {
    const std::string& target = *resolved;
    if (target.ends_with("/vitest.mjs")) {
      if (auto version = version_from_package_json(dirname_of(target) + "/package.json")) {
        return version;
      }
    }
  }
  // Yarn PnP runs vitest.mjs from inside its cache zip, which realpath cannot enter; the zip's
  // name carries the version: …/vitest-npm-<version>-<hash>-<checksum>.zip/node_modules/….
  if (auto at = real_vitest.rfind("/vitest-npm-"); at != std::string::npos) {
    auto start = at + std::string("/vitest-npm-").size();
    auto zip = real_vitest.find(".zip/", start);
    if (zip != std::string::npos) {
      if (auto version = parse_version(real_vitest.substr(start, zip - start))) return version;
    }
  }
  std::string dir = dirname_of(real_vitest);
  if (dir.ends_with("node_modules/.bin")) {
    return version_from_package_json(dirname_of(dir) + "/vitest/package.json");
  }
  return std::nullopt;
}

namespace {

// The subcommands each major registers with cac (measured on 1.6, 2.1, 3.2, 4.1, 5.1).
bool names_a_command(const std::string& arg, const std::optional<VitestVersion>& version) {
  for (const char* every : {"run", "related", "watch", "dev", "bench"}) {
    if (arg == every) return true;
  }
  bool before_2 = !version || version->major < 2;
  bool from_2 = !version || version->major >= 2;
  bool from_5 = !version || version->major >= 5;
  return (before_2 && arg == "typecheck") || (from_2 && (arg == "init" || arg == "list")) ||
         (from_5 && arg == "doctor");
}

}  // namespace

bool is_informational(const std::vector<std::string>& args,
                      const std::optional<VitestVersion>& version) {
  // `init` (2.x and later) and `complete` (4.x and later) only write files or print; before,
  // they are test filters. `doctor` is a filter up to 4.x and runs the suite several times on 5.x.
  if (!args.empty() && version &&
      ((args[0] == "init" && version->major >= 2) ||
       (args[0] == "complete" && version->major >= 4))) {
    return true;
  }
  bool asks_version = false;
  bool names_command = false;
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") return true;
    if (arg == "--version" || arg == "-v") asks_version = true;
    if (!arg.starts_with("-") && names_a_command(arg, version)) names_command = true;
  }
  return asks_version && !names_command;
}

std::vector<std::string> single_worker_args(const std::vector<std::string>& args,
                                            const std::optional<VitestVersion>& version) {
  if (!version) return args;
  std::vector<std::string> flags;
  auto user_gave = [&](std::initializer_list<const char*> prefixes) {
    for (const std::string& arg : args) {
      if (arg == "--") break;
      if (starts_with_any(arg, prefixes)) return true;
    }
    return false;
  };
  if (*version >= VitestVersion{1, 1, 0}) {
    if (!user_gave({"--no-file-parallelism", "--file-parallelism", "--fileParallelism",
                    "--no-fileParallelism"})) {
      flags.emplace_back("--no-file-parallelism");
    }
  } else if (version->major == 1) {
    if (!user_gave({"--poolOptions.threads.singleThread"})) {
      flags.emplace_back("--poolOptions.threads.singleThread");
    }
    if (!user_gave({"--poolOptions.forks.singleFork"})) {
      flags.emplace_back("--poolOptions.forks.singleFork");
    }
  }
  if (version->major >= 5 &&
      !user_gave({"--experimental.diagnostics", "--no-experimental.diagnostics"})) {
    flags.emplace_back("--experimental.diagnostics.isolate=false");
  }
  std::vector<std::string> out;
  out.reserve(args.size() + flags.size());
  bool inserted = false;
  for (const std::string& arg : args) {
    if (arg == "--" && !inserted) {
      out.insert(out.end(), flags.begin(), flags.end());
      inserted = true;
    }
    out.push_back(arg);
  }
  if (!inserted) out.insert(out.end(), flags.begin(), flags.end());
  return out;
}

std::vector<std::pair<std::string, std::string>> single_worker_env() {
  return {{"VITEST_MAX_WORKERS", "1"},
          {"VITEST_MAX_FORKS", "1"},
          {"VITEST_MIN_FORKS", "1"},
          {"VITEST_MAX_THREADS", "1"},
          {"VITEST_MIN_THREADS", "1"}};
}

std::vector<std::string> worker_args(const std::vector<std::string>& args,
                                     const std::optional<VitestVersion>& version, int workers) {
  return workers <= 1 ? single_worker_args(args, version) : args;
}

std::vector<std::pair<std::string, std::string>> worker_env(int workers) {
  if (workers <= 1) return single_worker_env();
  const std::string most = std::to_string(workers);
  return {{"VITEST_MAX_WORKERS", most},
          {"VITEST_MAX_FORKS", most},
          {"VITEST_MIN_FORKS", "1"},
          {"VITEST_MAX_THREADS", most},
          {"VITEST_MIN_THREADS", "1"}};
}

}  // namespace vq
