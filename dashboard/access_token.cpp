#include "access_token.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <sstream>

namespace vq::dashboard {
namespace {

std::string hex(const std::uint8_t* bytes, std::size_t count) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text += k_digits[bytes[i] >> 4];
    text += k_digits[bytes[i] & 0xf];
  }
  return text;
}

}  // namespace

Result<AccessToken> AccessToken::make() {
  std::array<std::uint8_t, 20> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("cannot make the dashboard's access token (getrandom)");
    filled += static_cast<std::size_t>(got);
  }
  return AccessToken(hex(bytes.data(), 16), hex(bytes.data() + 16, 4));
}

namespace {

bool is_hex(const std::string& text, std::size_t size) {
  return text.size() == size && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Result<AccessToken> read_kept(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return Error::from_errno("cannot read the token file " + path);
  if (!S_ISREG(info.st_mode) || (info.st_mode & 077) != 0 || info.st_uid != ::geteuid()) {
    return Error::of_kind(ErrorKind::bad_config,
                          "token file " + path +
                              " is not a file of yours that only you can read — chmod 600 it, "
                              "or remove it to have a new token made");
  }
  char text[128] = {};
  ssize_t got = ::read(fd, text, sizeof text - 1);
  std::istringstream words(std::string(text, got > 0 ? static_cast<std::size_t>(got) : 0));
  std::string secret, id;
  words >> secret >> id;
  if (!is_hex(secret, 32) || !is_hex(id, 8)) {
    return Error::of_kind(ErrorKind::bad_config, "token file " + path +
                                                     " holds no token — remove it to have a new "
                                                     "one made");
  }
  return AccessToken(secret, id);
}

}  // namespace

Result<AccessToken> AccessToken::kept_in(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    auto kept = read_kept(fd, path);
    ::close(fd);
    return kept;
  }
  if (errno != ENOENT) return Error::from_errno("cannot open the token file " + path);
  VQ_TRY_ASSIGN(made, make());
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error::from_errno("cannot create the token file " + path);
  std::string line = made->secret() + " " + made->id() + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return Error::from_errno("cannot write the token file " + path);
  return made;
}

bool AccessToken::matches(std::string_view candidate) const {
  if (candidate.size() != m_secret.size()) return false;
  unsigned difference = 0;
  for (std::size_t i = 0; i < candidate.size(); ++i) {
    difference |=
        static_cast<unsigned char>(candidate[i]) ^ static_cast<unsigned char>(m_secret[i]);
  }
  return difference == 0;
}

}  // namespace vq::dashboard
