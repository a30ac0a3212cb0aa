#include "queue_dir.h"

#include <fcntl.h>
#include <stdio.h>
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

// Creation modes exactly as asked, whatever the umask, for the one call it covers: in group
// mode another member may open what we create the moment it exists, and a mode fixed up
// afterwards would refuse it in between (it then ran unqueued). Restored at once: the shim's
// umask reaches vitest.
class ExactModes {
 public:
  ExactModes() : m_saved(::umask(0)) {}
  ~ExactModes() { ::umask(m_saved); }
  ExactModes(const ExactModes&) = delete;
  ExactModes& operator=(const ExactModes&) = delete;

 private:
  mode_t m_saved;
};

// Makes the group directory whole before it appears: a private temporary directory next to it
// gets the group and mode 3770, then takes the name only if it is still free
// (RENAME_NOREPLACE). Members arriving together thus never see a half-made one. Returns
// whether it made it; false also when someone else did first.
bool create_group_dir(const std::string& path, gid_t group) {
  std::string temporary = path + ".new-" + std::to_string(::getpid());
  if (::mkdir(temporary.c_str(), 0700) != 0) return false;
  bool made =
      ::chown(temporary.c_str(), static_cast<uid_t>(-1), group) == 0 &&
      ::chmod(temporary.c_str(), 03770) == 0 &&
      ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0;
  if (!made) ::rmdir(temporary.c_str());
  return made;
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
  if ((st.st_mode & 070) != 070 || (st.st_mode & (S_ISVTX | S_ISGID)) != (S_ISVTX | S_ISGID)) {
    return Error{"queue directory " + path + " has mode " + octal_mode(st.st_mode) +
                 ", not group-shared (rwx for the group; setgid, so files are the group's from "
                 "the start; sticky, so members cannot replace each other's files)" +
                 fix};
  }
  return std::nullopt;
}

}  // namespace

std::string queue_dir_path(const Config& config) {
  if (!config.queue_dir.empty()) return config.queue_dir;
  if (config.group) return k_group_queue_dir_prefix + std::to_string(*config.group);
  return k_private_queue_dir_prefix + std::to_string(::geteuid());
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
  // O_NOFOLLOW on the last component: a symlink planted at the queue path is refused, not used.
  auto open_dir = [&] {
    return ::open(trimmed.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  };
  int fd = -1;
  if (group) {
    // No parents: 0700 parents would lock the other members out.
    create_group_dir(trimmed, *group);
    fd = open_dir();
  } else {
    // Nearly always the directory exists: open it, and create it only when missing.
    fd = open_dir();
    if (fd < 0 && errno == ENOENT) {
      if (::mkdir(trimmed.c_str(), 0700) != 0 && errno == ENOENT) {
        make_parents(trimmed);
        ::mkdir(trimmed.c_str(), 0700);
      }
      fd = open_dir();
    }
  }
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

Result<int> QueueDir::checked(int fd, const char* name, const char* kind) const {
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
  // Nearly always the file exists: open it, and create it (exclusively) only when missing.
  int fd = ::openat(m_fd, name, flags);
  if (fd < 0 && errno == ENOENT) {
    if (m_group) {
      ExactModes exact;
      fd = ::openat(m_fd, name, flags | O_CREAT | O_EXCL, mode);
    } else {
      fd = ::openat(m_fd, name, flags | O_CREAT | O_EXCL, mode);
    }
    if (fd < 0 && errno == EEXIST) fd = ::openat(m_fd, name, flags);
  }
  if (fd < 0) return Error::from_errno("cannot open " + file(name));
  return checked(fd, name, "regular file");
}

Result<int> QueueDir::open_fifo(const char* name, int flags) const {
  bool created = false;
  if (m_group) {
    ExactModes exact;  // the setgid directory gives it the group
    created = ::mkfifoat(m_fd, name, 0660) == 0;
  } else {
    created = ::mkfifoat(m_fd, name, 0600) == 0;
  }
  if (!created && errno != EEXIST) return Error::from_errno("cannot create " + file(name));
  int fd = ::openat(m_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("cannot open " + file(name));
  return checked(fd, name, "FIFO");
}

}  // namespace vq
