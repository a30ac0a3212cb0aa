#include "orphan_holders.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lock_file.h"
#include "process_identity.h"

namespace vq {
namespace {

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    std::size_t begin = line.find_first_not_of(' ', at);
    if (begin == std::string_view::npos) break;
    std::size_t end = line.find(' ', begin);
    if (end == std::string_view::npos) end = line.size();
    words.push_back(line.substr(begin, end - begin));
    at = end;
  }
  return words;
}

template <typename Number>
bool parse_number(std::string_view text, Number& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

// Whether `pid` has a descriptor open on the removed file `removed_name` with inode `inode`.
bool has_open(pid_t pid, const std::string& removed_name, unsigned long inode) {
  std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* fds = ::opendir(fd_dir.c_str());
  if (fds == nullptr) return false;
  bool found = false;
  while (dirent* entry = found ? nullptr : ::readdir(fds)) {
    if (entry->d_name[0] == '.') continue;
    std::string link = fd_dir + "/" + entry->d_name;
    char target[4096];
    ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    struct stat file {};
    found = n > 0 && std::string_view(target, static_cast<std::size_t>(n)) == removed_name &&
            ::stat(link.c_str(), &file) == 0 && file.st_ino == inode;
  }
  ::closedir(fds);
  return found;
}

}  // namespace

std::vector<LockLine> parse_slot_locks(std::string_view proc_locks, int slot_count) {
  std::vector<LockLine> locks;
  std::size_t at = 0;
  while (at < proc_locks.size()) {
    std::size_t end = proc_locks.find('\n', at);
    if (end == std::string_view::npos) end = proc_locks.size();
    std::vector<std::string_view> w = words_of(proc_locks.substr(at, end - at));
    at = end + 1;
    // "->" marks a waiter blocked on a lock, not a holder.
    if (w.size() != 8 || w[1] != "POSIX" || w[3] != "WRITE") continue;
    LockLine lock;
    std::size_t colon = w[5].rfind(':');
    if (colon == std::string_view::npos || !parse_number(w[4], lock.pid) ||
        !parse_number(w[5].substr(colon + 1), lock.inode) || !parse_number(w[6], lock.start) ||
        !parse_number(w[7], lock.end)) {
      continue;
    }
    if (lock.start >= k_first_slot_byte && lock.start < k_first_slot_byte + slot_count &&
        lock.end >= lock.start && lock.end < k_first_slot_byte + slot_count) {
      locks.push_back(lock);
    }
  }
  return locks;
}

std::vector<Holder> holders_of_removed_lock_file(const std::string& lock_path, int slot_count) {
  std::ifstream in("/proc/locks");
  std::stringstream text;
  text << in.rdbuf();
  const std::string removed_name = lock_path + " (deleted)";
  std::vector<Holder> holders;
  for (const LockLine& lock : parse_slot_locks(text.str(), slot_count)) {
    if (lock.pid == ::getpid() || !has_open(lock.pid, removed_name, lock.inode)) continue;
    for (long byte = lock.start; byte <= lock.end; ++byte) {
      Holder holder;
      holder.slot = static_cast<int>(byte - k_first_slot_byte);
      holder.pid = lock.pid;
      holder.lock_seen = false;
      if (auto identity = identify(lock.pid)) holder.start_time = identity->start_time;
      holders.push_back(holder);
    }
  }
  return holders;
}

std::string canonical_path(const std::string& path) {
  char buffer[PATH_MAX];
  return ::realpath(path.c_str(), buffer) != nullptr ? buffer : path;
}

}  // namespace vq
