#include "estimate_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vq {
namespace {

// "BYTES SAMPLES PROJECT": the project last, so a path with spaces reads back whole.
bool parse_line(const std::string& line, CachedEstimate& estimate, std::string& project) {
  std::istringstream in(line);
  if (!(in >> estimate.bytes >> estimate.samples)) return false;
  in.get();
  std::getline(in, project);
  return !project.empty();
}

}  // namespace

std::string project_of_vitest(const std::string& real_vitest) {
  namespace fs = std::filesystem;
  // The first node_modules: a pnpm store path (…/node_modules/.pnpm/…/node_modules/vitest)
  // lies inside the project's own.
  auto at = real_vitest.find("/node_modules/");
  if (at != std::string::npos) return at == 0 ? "" : real_vitest.substr(0, at);
  // A vitest outside any node_modules (a checkout of vitest itself): its package.json's
  // directory. Only such launches pay for the look-up.
  if (real_vitest.empty() || real_vitest[0] != '/') return "";
  std::error_code error;
  for (fs::path dir = fs::path(real_vitest).parent_path(); dir != dir.root_path();
       dir = dir.parent_path()) {
    if (fs::exists(dir / "package.json", error)) return dir.string();
  }
  return "";
}

std::optional<CachedEstimate> cached_estimate(const std::string& queue_dir,
                                              const std::string& project) {
  if (project.empty()) return std::nullopt;
  std::ifstream file(queue_dir + "/" + k_estimates_file);
  std::string line;
  while (std::getline(file, line)) {
    CachedEstimate estimate;
    std::string name;
    if (parse_line(line, estimate, name) && name == project && estimate.bytes > 0) return estimate;
  }
  return std::nullopt;
}

Status store_estimate(const std::string& queue_dir, const std::string& project,
                      const CachedEstimate& estimate) {
  if (project.empty() || project.find('\n') != std::string::npos) {
    return Error{"cannot keep an estimate for project \"" + project + "\""};
  }
  const std::string path = queue_dir + "/" + k_estimates_file;
  std::string kept;
  {
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line)) {
      CachedEstimate other;
      std::string name;
      if (parse_line(line, other, name) && name != project) kept += line + "\n";
    }
  }
  kept += std::to_string(estimate.bytes) + " " + std::to_string(estimate.samples) + " " + project +
          "\n";
  const std::string temporary = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error{"cannot write " + temporary + ": " + std::strerror(errno)};
  const bool written = ::write(fd, kept.data(), kept.size()) == static_cast<ssize_t>(kept.size());
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    return Error{"cannot replace " + path + ": " + reason};
  }
  return ok_status();
}

}  // namespace vq
