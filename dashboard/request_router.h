// What each request to the dashboard gets, decided without sockets so it is tested directly:
// the page, the JSON API, the controls (POST, token in a header), or "open a stream" for
// GET /api/events, which the server then serves (the stream cap is the server's).
#pragma once

#include <boost/beast/http.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "access_token.h"
#include "control.h"
#include "result.h"

namespace vq::dashboard {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Where the API's documents come from. An empty function: that endpoint answers 501.
struct DataSources {
  std::function<Result<std::string>()> status;   // GET /api/status: `status --json`
  std::function<Result<std::string>()> metrics;  // GET /metrics: Prometheus text
  std::function<Result<std::string>(const std::map<std::string, std::string>& query)> history;
};

struct Peer {
  std::string address;
  std::optional<uid_t> uid;  // Unix socket clients only
};

struct Reply {
  Response response;
  bool opens_stream = false;  // GET /api/events, authorised: the server takes over
};

class RequestRouter {
 public:
  RequestRouter(AccessToken token, bool read_only, std::vector<Control> controls,
                DataSources sources);

  Reply route(const Request& request, const Peer& peer) const;
  const AccessToken& token() const { return m_token; }

 private:
  Reply answer_get(const Request& request, const std::string& path,
                   const std::map<std::string, std::string>& query) const;
  Reply answer_control(const Request& request, const std::string& name, const Peer& peer) const;
  bool authorised(const Request& request, const std::map<std::string, std::string>& query) const;

  AccessToken m_token;
  bool m_read_only;
  std::vector<Control> m_controls;
  DataSources m_sources;
};

// A response with the dashboard's headers (no caching, no sniffing, no referrer: the token
// is in the page's address).
Response make_response(http::status status, std::string content_type, std::string body,
                       unsigned version = 11);
Response error_response(http::status status, const std::string& message, unsigned version = 11);

// "/api/x?a=1&b=2" → path and decoded query parameters.
std::string target_path(std::string_view target);
std::map<std::string, std::string> target_query(std::string_view target);

}  // namespace vq::dashboard
