#include "exec_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace vq::preload {
namespace {

bool executable_file(const char* path) {
  struct stat info {};
  return ::stat(path, &info) == 0 && S_ISREG(info.st_mode) && ::access(path, X_OK) == 0;
}

}  // namespace

bool kernel_would_exec(const char* path) {
  if (!executable_file(path)) return false;
  // The kernel reads at most this much of a "#!" line (BINPRM_BUF_SIZE is 256).
  char head[256];
  int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  ssize_t length = ::read(fd, head, sizeof head - 1);
  ::close(fd);
  if (length < 4) return false;
  head[length] = '\0';
  if (std::memcmp(head,
                  "\x7f"
                  "ELF",
                  4) == 0)
    return true;
  if (head[0] != '#' || head[1] != '!') return false;
  // "#!  /path/to/interpreter [argument]": the path ends at a blank or the end of the line.
  char* start = head + 2;
  while (*start == ' ' || *start == '\t') ++start;
  char* end = start;
  while (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n') ++end;
  if (end == start) return false;
  *end = '\0';
  return executable_file(start);
}

}  // namespace vq::preload
