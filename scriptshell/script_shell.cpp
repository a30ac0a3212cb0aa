#include "script_shell.h"

namespace vq::scriptshell {

std::string path_with_shims_first(std::string_view path, std::string_view shim_dir) {
  std::string result(shim_dir);
  // An unset or empty PATH gets the shim directory alone: an empty entry would add the
  // current directory, which the package manager did not ask for.
  if (path.empty()) {
    return result;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t end = path.find(':', start);
    const std::string_view entry =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (entry != shim_dir) {
      result += ':';
      result += entry;
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return result;
}

std::string chained_shell(const char* recorded) {
  if (recorded == nullptr || *recorded == '\0') {
    return std::string(k_default_shell);
  }
  return recorded;
}

std::string shim_dir_beside(std::string_view own_executable) {
  const std::size_t slash = own_executable.rfind('/');
  const std::string_view dir =
      slash == std::string_view::npos ? std::string_view(".") : own_executable.substr(0, slash);
  return std::string(dir) + "/shims";
}

}  // namespace vq::scriptshell
