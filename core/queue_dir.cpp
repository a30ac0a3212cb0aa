#include "queue_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace vq {
namespace {

// mkdir -p with mode 0700 for what it creates; existing components are left as they are.
void make_parents(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    ::mkdir(path.substr(0, slash).c_str(), 0700);
  }
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

std::string queue_dir_path(const Config& config) {
  if (!config.queue_dir.empty()) return config.queue_dir;
  return "/tmp/vq-" + std::to_string(::geteuid());
}

Result<QueueDir> QueueDir::open(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return Error{"queue directory '" + path + "' is not an absolute path"};
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();

  if (::mkdir(trimmed.c_str(), 0700) != 0 && errno == ENOENT) {
    make_parents(trimmed);
    ::mkdir(trimmed.c_str(), 0700);
  }
  // O_NOFOLLOW on the last component: a symlink planted at the queue path is refused, not used.
  int fd = ::open(trimmed.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP || err == ENOTDIR) {
      struct stat st {};
      if (::lstat(trimmed.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        return Error{"queue directory " + trimmed + " is a symlink; vq does not follow it", err};
      }
    }
    return Error::from_errno("cannot open queue directory " + trimmed, err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Error::from_errno("cannot inspect queue directory " + trimmed, err);
  }
  if (st.st_uid != ::geteuid()) {
    ::close(fd);
    return Error{"queue directory " + trimmed + " is owned by uid " + std::to_string(st.st_uid) +
                 ", not by you (uid " + std::to_string(::geteuid()) + ")"};
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Error{"queue directory " + trimmed + " has mode " + octal_mode(st.st_mode) +
                 ", which lets other users in; run chmod 700 " + trimmed};
  }
  return QueueDir(trimmed, fd);
}

QueueDir::QueueDir(QueueDir&& other) noexcept : m_path(std::move(other.m_path)), m_fd(other.m_fd) {
  other.m_fd = -1;
}

QueueDir& QueueDir::operator=(QueueDir&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_path = std::move(other.m_path);
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

QueueDir::~QueueDir() {
  if (m_fd >= 0) ::close(m_fd);
}

Result<int> QueueDir::open_file(const char* name, int flags) const {
  int fd = ::openat(m_fd, name, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Error::from_errno("cannot open " + file(name));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    ::close(fd);
    return Error{file(name) + " is not a regular file of yours"};
  }
  return fd;
}

Result<int> QueueDir::open_fifo(const char* name, int flags) const {
  if (::mkfifoat(m_fd, name, 0600) != 0 && errno != EEXIST) {
    return Error::from_errno("cannot create " + file(name));
  }
  int fd = ::openat(m_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("cannot open " + file(name));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_uid != ::geteuid()) {
    ::close(fd);
    return Error{file(name) + " is not a FIFO of yours"};
  }
  return fd;
}

}  // namespace vq
