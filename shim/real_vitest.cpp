#include "real_vitest.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace vq {
namespace {

// The identity of `path` when it is an executable regular file; one stat serves both questions
// (every launch asks them of the real vitest).
std::optional<FileIdentity> executable_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return std::nullopt;
  }
  return FileIdentity{st.st_dev, st.st_ino};
}

std::string parent_of(const std::string& dir) {
  auto slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return dir.substr(0, slash);
}

}  // namespace

std::vector<FileIdentity> parse_shim_chain(std::string_view text) {
  std::vector<FileIdentity> chain;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view entry = text.substr(0, comma);
    auto colon = entry.find(':');
    unsigned long long device = 0, inode = 0;
    if (colon != std::string_view::npos) {
      auto [dev_end, dev_ec] = std::from_chars(entry.data(), entry.data() + colon, device);
      auto [ino_end, ino_ec] =
          std::from_chars(entry.data() + colon + 1, entry.data() + entry.size(), inode);
      if (dev_ec == std::errc{} && ino_ec == std::errc{} && dev_end == entry.data() + colon &&
          ino_end == entry.data() + entry.size()) {
        chain.push_back(FileIdentity{static_cast<dev_t>(device), static_cast<ino_t>(inode)});
      }
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return chain;
}

std::string format_shim_chain(const std::vector<FileIdentity>& chain) {
  std::string text;
  for (const FileIdentity& identity : chain) {
    if (!text.empty()) text += ',';
    text += std::to_string(identity.device) + ":" + std::to_string(identity.inode);
  }
  return text;
}

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino};
}

RealVitest find_real_vitest(const RealVitestQuery& query) {
  auto is_self = [&](const FileIdentity& identity) {
    return identity == query.self || std::find(query.shims_seen.begin(), query.shims_seen.end(),
                                               identity) != query.shims_seen.end();
  };

  if (!query.override_path.empty()) {
    const std::string& path = query.override_path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return {RealVitest::Outcome::not_found, path, "VQ_REAL_VITEST=" + path + " does not exist"};
    }
    if (is_self(FileIdentity{st.st_dev, st.st_ino})) {
      return {RealVitest::Outcome::loop, path,
              "VQ_REAL_VITEST=" + path + " is the vq shim itself, which would run itself forever"};
    }
    if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
      return {RealVitest::Outcome::not_executable, path,
              "VQ_REAL_VITEST=" + path + " is not an executable file"};
    }
    return {RealVitest::Outcome::found, path, {}};
  }

  bool skipped_self = false;
  if (!query.cwd.empty() && query.cwd[0] == '/') {
    for (std::string dir = query.cwd;; dir = parent_of(dir)) {
      std::string candidate = dir == "/" ? std::string() : dir;
      candidate.append("/node_modules/.bin/vitest");
      if (auto identity = executable_identity(candidate)) {
        if (!is_self(*identity)) return {RealVitest::Outcome::found, candidate, {}};
        skipped_self = true;
      }
      if (dir == "/") break;
    }
  }

  std::string_view rest = query.path_variable;
  while (true) {
    auto colon = rest.find(':');
    std::string entry(rest.substr(0, colon));
    if (entry.empty()) entry.assign(1, '.');  // POSIX: an empty PATH entry is the working directory
    if (entry[0] != '/') entry.insert(0, query.cwd + "/");
    std::string candidate = entry + "/vitest";
    if (auto identity = executable_identity(candidate)) {
      if (!is_self(*identity)) return {RealVitest::Outcome::found, candidate, {}};
      skipped_self = true;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }

  std::string reason =
      "cannot find the real vitest: no node_modules/.bin/vitest in " + query.cwd +
      " or above, and no other vitest on PATH" +
      (skipped_self ? " (only vq's shim is there)" : "") +
      "; install vitest in the project (npm install -D vitest) or set VQ_REAL_VITEST";
  return {RealVitest::Outcome::not_found, {}, reason};
}

}  // namespace vq
