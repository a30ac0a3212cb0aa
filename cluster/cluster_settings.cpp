#include "cluster_settings.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace vq::cluster {
namespace {

constexpr std::string_view k_url_form = "use redis://[user:password@]host:port/db";

constexpr std::size_t k_shown_length = 80;

// The URL is echoed with everything between "://" and the last '@' masked: a password may
// hold any character (an unescaped '@', ':' or '/' too), so only that whole span is safe to
// hide. Masking comes before shortening, or a cut could drop the '@' and leave the password
// in view. Control characters are replaced so the text cannot move a terminal's cursor.
std::string shown_url(std::string_view url) {
  std::string text(url);
  auto scheme_end = text.find("://");
  auto start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  if (auto at = text.rfind('@'); at != std::string::npos && at >= start) {
    text.replace(start, at - start, "***");
  }
  bool shortened = text.size() > k_shown_length;
  if (shortened) text.resize(k_shown_length);
  for (char& c : text) {
    if (std::iscntrl(static_cast<unsigned char>(c))) c = '?';
  }
  return text + (shortened ? "…" : "");
}

Error bad_url(std::string_view url, std::string_view reason) {
  return Error::of_kind(ErrorKind::bad_config, "VQ_CLUSTER: \"" + shown_url(url) + "\" " +
                                                   std::string(reason) + " — " +
                                                   std::string(k_url_form));
}

Result<int> whole_number(std::string_view text, int min, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
      value > max) {
    return Error::of_kind(ErrorKind::bad_config, "out of range");
  }
  return value;
}

// %XX escapes, so a password may hold '@', ':' or '/'.
std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int byte = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16);
    if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

bool valid_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return std::all_of(host.begin() + 1, host.end() - 1,
                       [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; });
  }
  return !host.empty() && host.size() <= 253 &&
         std::all_of(host.begin(), host.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '.' || c == '_';
         });
}

// user:password, :password, or user alone.
Result<Done> parse_user_info(std::string_view url, std::string_view info, ClusterSettings& out) {
  auto colon = info.find(':');
  auto user = percent_decoded(info.substr(0, colon));
  auto password = colon == std::string_view::npos ? std::optional<std::string>("")
                                                  : percent_decoded(info.substr(colon + 1));
  if (!user || !password) return bad_url(url, "has a broken %-escape in its user or password");
  out.user = *user;
  out.password = *password;
  return Done{};
}

Result<Done> parse_host_port(std::string_view url, std::string_view authority,
                             ClusterSettings& out) {
  auto bracket = authority.rfind(']');
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    auto port = whole_number(authority.substr(colon + 1), 1, 65535);
    if (!port) return bad_url(url, "has no port from 1 to 65535 after the ':'");
    out.port = *port;
    authority = authority.substr(0, colon);
  }
  if (!valid_host(authority)) return bad_url(url, "has no valid host name or address");
  out.host = authority.front() == '[' ? std::string(authority.substr(1, authority.size() - 2))
                                      : std::string(authority);
  return Done{};
}

}  // namespace

std::string ClusterSettings::describe() const {
  std::string who;
  if (!user.empty() || !password.empty()) who = user + (password.empty() ? "" : ":***") + "@";
  bool v6 = host.find(':') != std::string::npos;
  return "redis://" + who + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
         std::to_string(db) + " queue " + queue;
}

Result<ClusterSettings> parse_cluster_url(std::string_view url) {
  constexpr std::string_view k_scheme = "redis://";
  if (!url.starts_with(k_scheme)) return bad_url(url, "is not a redis:// URL");
  std::string_view rest = url.substr(k_scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad_url(url, "has a query or fragment, which vq does not read");
  }
  ClusterSettings out;
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto db = whole_number(rest.substr(slash + 1), 0, 1 << 20);
    if (!db) return bad_url(url, "has no database number after the '/'");
    out.db = *db;
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    VQ_TRY(parse_user_info(url, authority.substr(0, at), out));
    authority = authority.substr(at + 1);
  }
  VQ_TRY(parse_host_port(url, authority, out));
  return out;
}

Result<Done> check_user_has_password(const ClusterSettings& settings) {
  if (settings.user.empty() || !settings.password.empty()) return Done{};
  std::string user = shown_url(settings.user);
  return Error::of_kind(ErrorKind::bad_config,
                        "VQ_CLUSTER: user " + user +
                            " has no password, and without one vq would connect as Redis's "
                            "default user — write the password in the file "
                            "VQ_CLUSTER_PASSWORD_FILE names, or give it in the URL as "
                            "redis://" +
                            user + ":PASSWORD@host:port/db");
}

Result<std::string> read_password_file(const std::string& path) {
  auto refuse = [&](const std::string& reason) {
    return Error::of_kind(ErrorKind::bad_config,
                          "VQ_CLUSTER_PASSWORD_FILE: " + path + " " + reason);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return refuse(std::string("cannot be opened: ") + std::strerror(errno));
  struct stat st {};
  bool stat_ok = ::fstat(fd, &st) == 0;
  ::close(fd);
  if (!stat_ok || !S_ISREG(st.st_mode)) return refuse("is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return refuse(
        "may be read or changed by others, so the password is not secret — run chmod "
        "600 " +
        path);
  }
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return refuse("has an empty first line — write the password on it");
  return line;
}

Result<std::string> parse_queue_name(std::string_view name) {
  bool valid = !name.empty() && name.size() <= 64 &&
               std::all_of(name.begin(), name.end(), [](unsigned char c) {
                 return std::isalnum(c) || c == '.' || c == '_' || c == '-';
               });
  if (!valid) {
    return Error::of_kind(ErrorKind::bad_config,
                          "VQ_CLUSTER_QUEUE=" + shown_url(name) +
                              " is not valid: expected 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  return std::string(name);
}

Result<int> parse_cluster_limit(std::string_view text) {
  auto limit = whole_number(text, 1, k_max_cluster_limit);
  if (!limit) {
    return Error::of_kind(ErrorKind::bad_config,
                          "VQ_CLUSTER_LIMIT=" + shown_url(text) +
                              " is not valid: expected a whole number from 1 to " +
                              std::to_string(k_max_cluster_limit));
  }
  return *limit;
}

Result<std::chrono::milliseconds> parse_cluster_ttl(std::string_view text) {
  auto seconds = whole_number(text, 1, 3600);
  if (!seconds) {
    return Error::of_kind(ErrorKind::bad_config,
                          "VQ_CLUSTER_TTL=" + shown_url(text) +
                              " is not valid: expected whole seconds from 1 to 3600");
  }
  return std::chrono::milliseconds(std::int64_t{*seconds} * 1000);
}

Result<std::string> parse_host_name(std::string_view name) {
  bool valid =
      !name.empty() && name.size() <= 64 &&
      std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isgraph(c) != 0; });
  if (!valid) {
    return Error::of_kind(ErrorKind::bad_config,
                          "VQ_CLUSTER_HOST=" + shown_url(name) +
                              " is not valid: expected up to 64 printable characters without "
                              "spaces");
  }
  return std::string(name);
}

std::string this_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace vq::cluster
