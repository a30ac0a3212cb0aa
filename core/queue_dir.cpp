#include "queue_dir.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <vector>

namespace vq {
namespace {

// The directory whose creation failed (the queue directory or a missing parent) and why.
struct CreationFailure {
  std::string path;
  int err = 0;
};

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// mkdir -p with mode 0700 for what it creates; existing components are left as they are.
std::optional<CreationFailure> make_private_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return std::nullopt;
  if (errno != ENOENT) return CreationFailure{path, errno};
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
      return CreationFailure{parent, errno};
    }
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return CreationFailure{path, errno};
  return std::nullopt;
}

// "user NAME (uid N)" from /etc/passwd, read by hand: the shim is linked statically, where
// getpwuid would need the NSS libraries of the glibc it was built with.
std::string describe_user(uid_t uid) {
  std::ifstream users("/etc/passwd");
  std::string line, uid_text = std::to_string(uid);
  while (std::getline(users, line)) {
    // name:password:uid:…
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    auto third = second == std::string::npos ? second : line.find(':', second + 1);
    if (third != std::string::npos && line.compare(second + 1, third - second - 1, uid_text) == 0) {
      return "user " + line.substr(0, first) + " (uid " + uid_text + ")";
    }
  }
  return "uid " + uid_text;
}

// Why a missing queue directory could not be made, and what to do instead.
Error creation_error(const std::string& path, const CreationFailure& failure) {
  std::string where = parent_of(failure.path);
  std::string message = "cannot create queue directory " + path;
  if (failure.path != path) message += " (its missing parent " + failure.path + ")";
  message += std::string(": ") + std::strerror(failure.err);
  if (failure.err == EROFS) {
    message += "; " + where +
               " is on a read-only file system: set VQ_QUEUE_DIR to a directory "
               "on a writable one";
  } else if (failure.err == EACCES || failure.err == EPERM) {
    struct stat st {};
    std::string owner =
        ::stat(where.c_str(), &st) == 0 ? " (" + describe_user(st.st_uid) + ")" : "";
    message += "; you (uid " + std::to_string(::geteuid()) + ") may not create entries in " +
               where + ": set VQ_QUEUE_DIR to a directory you may create, or ask its owner" +
               owner + " to create " + path + " for you";
  } else if (failure.err == ENOENT) {
    message += "; group mode creates no parents: create " + where + " or set VQ_QUEUE_DIR";
  } else {
    message += "; set VQ_QUEUE_DIR to a directory elsewhere";
  }
  return Error{message, failure.err};
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
// (RENAME_NOREPLACE). Members arriving together thus never see a half-made one. Returns why it
// could not make it; nothing when it did, or when someone else did first.
std::optional<CreationFailure> create_group_dir(const std::string& path, gid_t group) {
  std::string temporary = path + ".new-" + std::to_string(::getpid());
  if (::mkdir(temporary.c_str(), 0700) != 0) return CreationFailure{path, errno};
  bool made =
      ::chown(temporary.c_str(), static_cast<uid_t>(-1), group) == 0 &&
      ::chmod(temporary.c_str(), 03770) == 0 &&
      ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0;
  int err = errno;
  if (!made) ::rmdir(temporary.c_str());
  if (made || err == EEXIST) return std::nullopt;
  return CreationFailure{path, err};
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

// How a member gets a usable group queue: its owner (or root) repairs the directory; anyone
// else cannot, and must learn who can, and how to move the group's queue meanwhile (a user
// outside the group may have taken the path first: /tmp is open to all).
std::string group_dir_fix(const std::string& path, const struct stat& st, gid_t group) {
  std::string repair = "chgrp " + std::to_string(group) + " " + path + " && chmod 3770 " + path;
  if (st.st_uid == ::geteuid() || ::geteuid() == 0) return "; run " + repair;
  return "; it is owned by " + describe_user(st.st_uid) + ", whom only root can overrule: ask " +
         "that user to run " + repair + " or to remove it, or set VQ_QUEUE_DIR (the same for " +
         "every member of group " + std::to_string(group) + ") to a path that does not exist " +
         "yet, which vq creates for the group";
}

// The owner may be any user: only root or a member can have given the directory this group.
std::optional<Error> check_group_dir(const std::string& path, const struct stat& st, gid_t group) {
  std::string fix = group_dir_fix(path, st, group);
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

// Opens the queue directory, creating it when missing; `failure` says why a creation failed.
int open_or_create(const std::string& path, std::optional<gid_t> group,
                   std::optional<CreationFailure>& failure) {
  // O_NOFOLLOW on the last component: a symlink planted at the queue path is refused, not used.
  auto open_dir = [&] {
    return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  };
  if (group) {
    // No parents: 0700 parents would lock the other members out.
    failure = create_group_dir(path, *group);
    return open_dir();
  }
  // Nearly always the directory exists: open it, and create it only when missing.
  int fd = open_dir();
  if (fd < 0 && errno == ENOENT) {
    failure = make_private_dir(path);
    fd = open_dir();
  }
  return fd;
}

// Why the queue directory could not be opened (errno `err`), and what to do about it.
Error open_error(const std::string& path, std::optional<gid_t> group, int err,
                 const std::optional<CreationFailure>& failure) {
  if (err == ENOENT && failure) return creation_error(path, *failure);
  struct stat st {};
  bool exists = ::lstat(path.c_str(), &st) == 0;
  if ((err == ELOOP || err == ENOTDIR) && exists && S_ISLNK(st.st_mode)) {
    return Error{"queue directory " + path + " is a symlink; vq does not follow it", err};
  }
  if (err == EACCES && exists && st.st_uid != ::geteuid()) {
    std::string fix = group ? group_dir_fix(path, st, *group)
                            : "; it is owned by " + describe_user(st.st_uid) +
                                  ": ask that user or root to remove it, or set VQ_QUEUE_DIR to "
                                  "a directory of your own";
    return Error{
        "queue directory " + path + " is closed to you (mode " + octal_mode(st.st_mode) + ")" + fix,
        err};
  }
  return Error::from_errno("cannot open queue directory " + path, err);
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
  std::optional<CreationFailure> failure;
  int fd = open_or_create(trimmed, group, failure);
  if (fd < 0) return open_error(trimmed, group, errno, failure);
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

namespace vq {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

bool QueueDir::holds(const char* name, int fd) const {
  struct stat open_dir {};
  struct stat dir_at_path {};
  struct stat open_file {};
  struct stat file_at_path {};
  return ::fstat(m_fd, &open_dir) == 0 && open_dir.st_nlink > 0 &&
         ::lstat(m_path.c_str(), &dir_at_path) == 0 && same_file(open_dir, dir_at_path) &&
         ::fstat(fd, &open_file) == 0 && open_file.st_nlink > 0 &&
         ::fstatat(m_fd, name, &file_at_path, AT_SYMLINK_NOFOLLOW) == 0 &&
         same_file(open_file, file_at_path);
}

void QueueDir::touch(const char* name) const {
  if (name == nullptr) {
    ::futimens(m_fd, nullptr);
  } else {
    ::utimensat(m_fd, name, nullptr, AT_SYMLINK_NOFOLLOW);
  }
}

}  // namespace vq
