// The dashboard's access token, made at start like Jupyter's: whoever presents it may read the
// queue and steer it. A loopback port is open to every local user, and status shows command
// lines, so nothing but the page's own bytes is served without it.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace vq::dashboard {

class AccessToken {
 public:
  // 128 random bits from the kernel, and a separate short id for the event log, so the log
  // names which server acted without holding the secret.
  static Result<AccessToken> make();
  // The token kept in `path` (`--token-file`), so a bookmarked URL and an open page outlive a
  // restart; made and written there (mode 0600) when the file does not exist. A file others
  // may read, or one that holds no token, is refused.
  static Result<AccessToken> kept_in(const std::string& path);
  // A fixed token, for tests of the checks.
  AccessToken(std::string secret, std::string id)
      : m_secret(std::move(secret)), m_id(std::move(id)) {}

  const std::string& secret() const { return m_secret; }
  const std::string& id() const { return m_id; }
  // Compares in time independent of where the first difference is.
  bool matches(std::string_view candidate) const;

 private:
  std::string m_secret;
  std::string m_id;
};

}  // namespace vq::dashboard
