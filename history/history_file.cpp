#include "history_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

namespace vq::history {
namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> check(const std::string& path, const struct stat& file, const struct stat& dir) {
  bool shared = (dir.st_mode & S_ISGID) != 0;
  std::string fix = " — remove or fix it, or set VQ_HISTORY to another file";
  if (!S_ISREG(file.st_mode))
    return Error{"history database " + path + " is not a regular file" + fix};
  if (file.st_nlink != 1)
    return Error{"history database " + path + " has more than one link" + fix};
  if ((file.st_mode & S_IWOTH) != 0) {
    return Error{"history database " + path + " is writable by others" + fix};
  }
  if (shared ? file.st_gid != dir.st_gid : file.st_uid != ::geteuid()) {
    return Error{"history database " + path +
                 (shared ? " is not of its directory's group" : " is not owned by you") + fix};
  }
  if (!shared && (file.st_mode & S_IWGRP) != 0) {
    return Error{"history database " + path + " is writable by its group" + fix};
  }
  return {};
}

std::string corrupt_name(const std::string& path, std::int64_t now_ms) {
  std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::string name = path + ".corrupt-" + stamp;
  for (int n = 2; ::access(name.c_str(), F_OK) == 0; ++n) {
    name = path + ".corrupt-" + stamp + "-" + std::to_string(n);
  }
  return name;
}

// A bounded wait for the flock: a process stopped while holding it must not stop a writer.
bool lock_within(int fd, std::chrono::milliseconds budget) {
  auto deadline = std::chrono::steady_clock::now() + budget;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

Result<FileIdentity> ensure_database_file(const std::string& path) {
  struct stat dir {};
  if (::stat(parent_of(path).c_str(), &dir) != 0) {
    return Error::from_errno("cannot use the directory of history database " + path);
  }
  mode_t mode = (dir.st_mode & S_ISGID) != 0 ? 0660 : 0600;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd >= 0) {
    ::fchmod(fd, mode);  // whatever the umask took away
  } else if (errno == EEXIST) {
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  }
  if (fd < 0) return Error::from_errno("cannot open history database " + path);
  struct stat file {};
  int stat_result = ::fstat(fd, &file);
  ::close(fd);
  if (stat_result != 0) return Error::from_errno("cannot check history database " + path);
  VQ_TRY(check(path, file, dir));
  return FileIdentity{file.st_dev, file.st_ino};
}

Result<std::string> move_aside(const std::string& path, FileIdentity judged, std::int64_t now_ms) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? Result<std::string>(std::string())
                           : Error::from_errno("cannot open history database " + path);
  struct stat file {};
  bool same = ::fstat(fd, &file) == 0 && FileIdentity{file.st_dev, file.st_ino} == judged;
  if (same && !lock_within(fd, std::chrono::milliseconds(500))) {
    ::close(fd);
    return Error::of_kind(
        ErrorKind::lock_busy,
        "another process is moving the unreadable history database " + path + " aside");
  }
  struct stat now {};
  same = same && ::lstat(path.c_str(), &now) == 0 && FileIdentity{now.st_dev, now.st_ino} == judged;
  std::string moved;
  if (same) {
    moved = corrupt_name(path, now_ms);
    // Its -wal and -shm first: once the file is renamed, a new database may be made at `path`
    // at any moment, and its own -wal must not be taken with the old one.
    for (const char* suffix : {"-wal", "-shm"}) {
      ::rename((path + suffix).c_str(), (moved + suffix).c_str());
    }
    if (::rename(path.c_str(), moved.c_str()) != 0) {
      Error error =
          Error::from_errno("cannot move the unreadable history database " + path + " aside");
      ::close(fd);
      return error;
    }
  }
  ::close(fd);  // releases the flock
  return moved;
}

}  // namespace vq::history
