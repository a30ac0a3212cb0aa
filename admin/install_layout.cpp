#include "install_layout.h"

#include <unistd.h>

#include <climits>
#include <filesystem>

namespace vq::admin {
namespace {

bool is_executable_file(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string below_prefix(const std::string& relative) {
  return (std::filesystem::path(executable_dir()) / ".." / relative).lexically_normal().string();
}

std::string executable_dir() {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return ".";
  std::string path(buffer, static_cast<std::size_t>(n));
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string shim_path() {
  std::string installed = below_prefix("lib/vq/shims/vitest");
  if (is_executable_file(installed)) return installed;
#ifdef VQ_BUILD_TREE_SHIM
  if (is_executable_file(VQ_BUILD_TREE_SHIM)) return VQ_BUILD_TREE_SHIM;
#endif
  return "";
}

std::string preload_path() {
  return below_prefix(std::string("lib/vq/") + k_preload_name);
}

}  // namespace vq::admin
