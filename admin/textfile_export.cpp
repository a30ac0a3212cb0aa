#include "textfile_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vq::admin {

Result<void> write_textfile(const std::string& dir, const std::string& name,
                            const std::string& text) {
  std::string target = dir + "/" + name;
  std::string temporary = dir + "/." + name + "." + std::to_string(::getpid()) + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return Error::from_errno("cannot write " + temporary);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  bool complete = written == text.size() && ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
  Error failure = Error::from_errno("cannot write " + temporary);
  ::close(fd);
  if (!complete || ::rename(temporary.c_str(), target.c_str()) != 0) {
    if (complete) failure = Error::from_errno("cannot rename " + temporary + " to " + target);
    ::unlink(temporary.c_str());
    return failure;
  }
  return {};
}

}  // namespace vq::admin
