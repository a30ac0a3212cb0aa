#include "queue_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

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

std::optional<Error> check_private_dir(const std::string& path, const struct stat& st) {
  if (st.st_uid != ::geteuid()) {
    return Error{"queue directory " + path + " is owned by uid " + std::to_string(st.st_uid) +
                 ", not by you (uid " + std::to_string(::geteuid()) + ")"};
  }
  if ((st.st_mode & 077) != 0) {
    return Error{"queue directory " + path + " has mode " + octal_mode(st.st_mode) +
                 ", which lets other users in; run chmod 700 " + path +
                 " (or set VQ_GROUP if it is meant to be shared by a group)"};
  }
  return std::nullopt;
}

// The owner may be any user: only root or a member can have given the directory this group.
std::optional<Error> check_group_dir(const std::string& path, const struct stat& st, gid_t group) {
  std::string fix = "; run chgrp " + std::to_string(group) + " " + path + " && chmod 3770 " + path;
  if (st.st_gid != group) {
    return Error{"queue directory " + path + " belongs to group " + std::to_string(st.st_gid) +
                 ", not to group " + std::to_string(group) + " that VQ_GROUP names" + fix};
  }
  if ((st.st_mode & 07) != 0) {
    return Error{"queue directory " + path + " has mode " + octal_mode(st.st_mode) +
                 ", which lets users outside the group in" + fix};
  }
  if ((st.st_mode & 070) != 070 || (st.st_mode & S_ISVTX) == 0) {
    return Error{"queue directory " + path + " has mode " + octal_mode(st.st_mode) +
                 ", not group-shared (rwx for the group, sticky so members cannot replace each "
                 "other's files)" +
                 fix};
  }
  return std::nullopt;
}

}  // namespace

std::string queue_dir_path(const Config& config) {
  if (!config.queue_dir.empty()) return config.queue_dir;
  if (config.group) return "/tmp/vq-g" + std::to_string(*config.group);
  return "/tmp/vq-" + std::to_string(::geteuid());
}

bool caller_in_group(gid_t gid) {
  if (::getegid() == gid) return true;
  int count = ::getgroups(0, nullptr);
  if (count <= 0) return false;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  count = ::getgroups(count, groups.data());
  return count > 0 && std::find(groups.begin(), groups.begin() + count, gid) != groups.end();
}

Result<QueueDir> QueueDir::open(const std::string& path, std::optional<gid_t> group) {
  if (path.empty() || path[0] != '/') {
    return Error{"queue directory '" + path + "' is not an absolute path"};
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();

  if (group && !caller_in_group(*group)) {
    return Error{"you (uid " + std::to_string(::geteuid()) + ") are not in group " +
                 std::to_string(*group) + " that VQ_GROUP names for queue directory " + trimmed +
                 "; join the group or unset VQ_GROUP"};
  }
  bool created = ::mkdir(trimmed.c_str(), 0700) == 0;
  if (!created && errno == ENOENT && !group) {
    // Group mode creates no parents: 0700 parents would lock the other members out.
    make_parents(trimmed);
    created = ::mkdir(trimmed.c_str(), 0700) == 0;
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
  if (created && group && st.st_uid == ::geteuid()) {
    // Made 0700 above, so nobody else could use it before it has its group and mode.
    if (::fchown(fd, static_cast<uid_t>(-1), *group) != 0 || ::fchmod(fd, 03770) != 0 ||
        ::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return Error::from_errno(
          "cannot give queue directory " + trimmed + " to group " + std::to_string(*group), err);
    }
  }
  if (auto refused =
          group ? check_group_dir(trimmed, st, *group) : check_private_dir(trimmed, st)) {
    ::close(fd);
    return *refused;
  }
  return QueueDir(trimmed, fd, group);
}

QueueDir::QueueDir(QueueDir&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(other.m_fd), m_group(other.m_group) {
  other.m_fd = -1;
}

QueueDir& QueueDir::operator=(QueueDir&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_path = std::move(other.m_path);
    m_fd = other.m_fd;
    m_group = other.m_group;
    other.m_fd = -1;
  }
  return *this;
}

QueueDir::~QueueDir() {
  if (m_fd >= 0) ::close(m_fd);
}

Result<int> QueueDir::checked(int fd, const char* name, const char* kind, bool created) const {
  if (created && m_group) {
    // Mode 0660 whatever the umask, and the group even where the directory is not setgid.
    if (::fchown(fd, static_cast<uid_t>(-1), *m_group) != 0 || ::fchmod(fd, 0660) != 0) {
      int err = errno;
      ::close(fd);
      return Error::from_errno("cannot share " + file(name) + " with the group", err);
    }
  }
  struct stat st {};
  bool fifo = std::string_view(kind) == "FIFO";
  bool ok = ::fstat(fd, &st) == 0 && (fifo ? S_ISFIFO(st.st_mode) : S_ISREG(st.st_mode));
  if (ok && !m_group) ok = st.st_uid == ::geteuid();
  // Group mode: another member's file is fine, but not one others can write or one hard-linked
  // from elsewhere (writing through it would write that other file).
  if (ok && m_group) ok = st.st_gid == *m_group && (st.st_mode & 07) == 0 && st.st_nlink == 1;
  if (!ok) {
    ::close(fd);
    if (m_group) {
      return Error{
          file(name) + " is not a " + kind + " of group " + std::to_string(*m_group) +
          " closed to others, with one link; its owner or the directory's owner can remove it"};
    }
    return Error{file(name) + " is not a " + kind + " of yours"};
  }
  return fd;
}

Result<int> QueueDir::open_file(const char* name, int flags) const {
  mode_t mode = m_group ? 0660 : 0600;
  flags |= O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(m_fd, name, flags | O_CREAT | O_EXCL, mode);
  bool created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = ::openat(m_fd, name, flags);
  if (fd < 0) return Error::from_errno("cannot open " + file(name));
  return checked(fd, name, "regular file", created);
}

Result<int> QueueDir::open_fifo(const char* name, int flags) const {
  bool created = ::mkfifoat(m_fd, name, m_group ? 0660 : 0600) == 0;
  if (!created && errno != EEXIST) return Error::from_errno("cannot create " + file(name));
  if (created && m_group) {
    // Shared now, by name: the write end cannot be opened while nobody reads (ENXIO), and the
    // sticky directory keeps others from replacing what we just made.
    ::fchownat(m_fd, name, static_cast<uid_t>(-1), *m_group, AT_SYMLINK_NOFOLLOW);
    ::fchmodat(m_fd, name, 0660, 0);
  }
  int fd = ::openat(m_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("cannot open " + file(name));
  return checked(fd, name, "FIFO", false);
}

}  // namespace vq
