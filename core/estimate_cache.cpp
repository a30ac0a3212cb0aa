#include "estimate_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "queue_dir.h"

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

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (off_t at = 0;;) {
    ssize_t got = ::pread(fd, buffer, sizeof buffer, at);
    if (got <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
    at += got;
  }
}

struct FileCloser {
  int fd;
  ~FileCloser() { ::close(fd); }
};

// A file an older vq created 0600 in group mode: its owner opens it to the group, whose other
// members could neither read nor rewrite it.
void open_to_group(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 0660) != 0660) {
    ::fchmod(fd, 0660);
  }
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
  const std::string path = queue_dir + "/" + k_estimates_file;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  if (::flock(fd, LOCK_SH) == 0) text = read_all(fd);
  ::close(fd);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    CachedEstimate estimate;
    std::string name;
    if (parse_line(line, estimate, name) && name == project && estimate.bytes > 0) return estimate;
  }
  return std::nullopt;
}

Status store_estimate(const std::string& queue_dir, const std::string& project,
                      const CachedEstimate& estimate, std::optional<gid_t> group) {
  if (project.empty() || project.find('\n') != std::string::npos) {
    return Error{"cannot keep an estimate for project \"" + project + "\""};
  }
  VQ_TRY_ASSIGN(dir, QueueDir::open(queue_dir, group));
  VQ_TRY_ASSIGN(fd, dir->open_file(k_estimates_file, O_RDWR));
  FileCloser closer{*fd};
  if (group) open_to_group(*fd);
  if (::flock(*fd, LOCK_EX) != 0)
    return Error::from_errno("cannot lock " + dir->file(k_estimates_file));
  std::string kept;
  std::istringstream lines(read_all(*fd));
  std::string line;
  while (std::getline(lines, line)) {
    CachedEstimate other;
    std::string name;
    if (parse_line(line, other, name) && name != project) kept += line + "\n";
  }
  kept += std::to_string(estimate.bytes) + " " + std::to_string(estimate.samples) + " " + project +
          "\n";
  // Truncated first: a writer killed in between leaves no line (the cold default, learned again
  // on the next run), never an old line's tail after a shorter new text.
  if (::ftruncate(*fd, 0) != 0 ||
      ::pwrite(*fd, kept.data(), kept.size(), 0) != static_cast<ssize_t>(kept.size())) {
    return Error::from_errno("cannot rewrite " + dir->file(k_estimates_file));
  }
  return ok_status();
}

}  // namespace vq
