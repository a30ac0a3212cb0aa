#include "request_router.h"

#include <unistd.h>

#include <algorithm>

#include "dashboard_page.h"

namespace vq::dashboard {
namespace {

using Json = nlohmann::ordered_json;

// Beast (Boost 1.74) has its own string_view.
std::string_view view(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Which HTTP status a failed action or source answers with.
http::status status_for(const Error& error) {
  if (is_lock_timeout(error)) return http::status::service_unavailable;
  switch (error.kind) {
    case ErrorKind::bad_config:
      return http::status::bad_request;
    case ErrorKind::damaged_table:
      return http::status::conflict;
    default:
      break;
  }
  if (error.errno_value == ESRCH) return http::status::not_found;
  if (error.errno_value == EPERM) return http::status::forbidden;
  return http::status::internal_server_error;
}

Reply json_reply(const Result<std::string>& document, unsigned version) {
  if (!document)
    return {error_response(status_for(document.error()), document.error().message, version)};
  return {make_response(http::status::ok, "application/json", *document, version)};
}

// The body's whole-number fields named by `params`; an error names the first one missing.
Result<std::map<std::string, long>> control_args(const Control& control, const std::string& body) {
  std::map<std::string, long> args;
  if (control.params.empty()) return args;
  Json parsed = Json::parse(body, nullptr, false);
  for (const std::string& param : control.params) {
    if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains(param) ||
        !parsed[param].is_number_integer()) {
      return Error::of_kind(ErrorKind::bad_config, control.name +
                                                       " needs a JSON body with a whole number \"" +
                                                       param + "\", e.g. {\"" + param + "\": 2}");
    }
    args[param] = parsed[param].get<long>();
  }
  return args;
}

}  // namespace

Response make_response(http::status status, std::string content_type, std::string body,
                       unsigned version) {
  Response response{status, version};
  response.set(http::field::server, "vq-admin serve");
  response.set(http::field::content_type, std::move(content_type));
  response.set(http::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("Content-Security-Policy",
               "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "img-src data:; frame-ancestors 'none'");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response error_response(http::status status, const std::string& message, unsigned version) {
  return make_response(status, "application/json", Json{{"error", message}}.dump() + "\n", version);
}

std::string target_path(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

std::map<std::string, std::string> target_query(std::string_view target) {
  std::map<std::string, std::string> query;
  std::size_t mark = target.find('?');
  if (mark == std::string_view::npos) return query;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    std::string_view pair = rest.substr(0, rest.find('&'));
    rest = pair.size() < rest.size() ? rest.substr(pair.size() + 1) : std::string_view{};
    std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    query[percent_decoded(pair.substr(0, equals))] = percent_decoded(pair.substr(equals + 1));
  }
  return query;
}

RequestRouter::RequestRouter(AccessToken token, bool read_only, std::vector<Control> controls,
                             DataSources sources)
    : m_token(std::move(token)),
      m_read_only(read_only),
      m_controls(std::move(controls)),
      m_sources(std::move(sources)) {}

// The header X-VQ-Token or `Authorization: Bearer`, or (reads only) ?token= in the address,
// which is how the page's EventSource, which cannot set headers, presents it.
bool RequestRouter::authorised(const Request& request,
                               const std::map<std::string, std::string>& query) const {
  if (auto header = request.find("X-VQ-Token"); header != request.end()) {
    return m_token.matches(view(header->value()));
  }
  if (auto header = request.find(http::field::authorization); header != request.end()) {
    std::string_view value = view(header->value());
    return value.starts_with("Bearer ") && m_token.matches(value.substr(7));
  }
  auto in_query = query.find("token");
  return request.method() == http::verb::get && in_query != query.end() &&
         m_token.matches(in_query->second);
}

Reply RequestRouter::route(const Request& request, const Peer& peer) const {
  std::string path = target_path(view(request.target()));
  auto query = target_query(view(request.target()));
  unsigned version = request.version();
  bool page = path == "/" || path == "/index.html";
  if (page && request.method() == http::verb::get) {
    // The page holds no data: it asks the API, with the token from its own address.
    return {make_response(http::status::ok, "text/html; charset=utf-8",
                          std::string(dashboard_page()), version)};
  }
  bool is_control = path.starts_with("/api/control/");
  if (!is_control && request.method() != http::verb::get) {
    return {error_response(http::status::method_not_allowed, path + " answers GET only", version)};
  }
  if (is_control && request.method() != http::verb::post) {
    return {error_response(http::status::method_not_allowed,
                           "controls are POST requests with the token in X-VQ-Token", version)};
  }
  if (!authorised(request, query)) {
    return {error_response(http::status::forbidden,
                           "missing or wrong token: open the URL `vq-admin serve` printed, or send "
                           "the token in the X-VQ-Token header",
                           version)};
  }
  if (is_control) return answer_control(request, path.substr(13), peer);
  return answer_get(request, path, query);
}

Reply RequestRouter::answer_get(const Request& request, const std::string& path,
                                const std::map<std::string, std::string>& query) const {
  unsigned version = request.version();
  auto not_here = [&](const char* what) {
    return Reply{error_response(http::status::not_implemented,
                                std::string(what) +
                                    " is not available in this build of vq-admin (it needs the "
                                    "run history) — use /api/status and /api/events",
                                version)};
  };
  if (path == "/api/status") return json_reply(m_sources.status(), version);
  if (path == "/api/events")
    return {make_response(http::status::ok, "text/event-stream", ""), true};
  if (path == "/api/controls") {
    auto described = describe_controls(m_controls, m_read_only);
    described["features"] = {{"history", static_cast<bool>(m_sources.history)},
                             {"metrics", static_cast<bool>(m_sources.metrics)}};
    return {make_response(http::status::ok, "application/json", described.dump(), version)};
  }
  if (path == "/api/history") {
    if (!m_sources.history) return not_here("/api/history");
    return json_reply(m_sources.history(query), version);
  }
  if (path == "/metrics") {
    if (!m_sources.metrics) return not_here("/metrics");
    auto text = m_sources.metrics();
    if (!text) return json_reply(text, version);
    return {make_response(http::status::ok, "text/plain; version=0.0.4", *text, version)};
  }
  return {error_response(
      http::status::not_found,
      "no such page: " + path + " — see the README's \"Dashboard\" section for the API", version)};
}

Reply RequestRouter::answer_control(const Request& request, const std::string& name,
                                    const Peer& peer) const {
  unsigned version = request.version();
  if (m_read_only) {
    return {error_response(http::status::forbidden,
                           "this dashboard is read-only (vq-admin serve --read-only): use "
                           "vq-admin " +
                               name + ", or serve without --read-only",
                           version)};
  }
  auto control = std::find_if(m_controls.begin(), m_controls.end(),
                              [&](const Control& row) { return row.name == name; });
  if (control == m_controls.end()) {
    return {error_response(http::status::not_found,
                           "no control named '" + name + "' — GET /api/controls lists them",
                           version)};
  }
  auto args = control_args(*control, request.body());
  if (!args) return {error_response(status_for(args.error()), args.error().message, version)};
  Actor actor{m_token.id(), ::getuid(), peer.uid, peer.address};
  auto outcome = control->act(*args, actor);
  if (!outcome)
    return {error_response(status_for(outcome.error()), outcome.error().message, version)};
  return {make_response(http::status::ok, "application/json",
                        Json{{"ok", true}, {"message", *outcome}}.dump() + "\n", version)};
}

}  // namespace vq::dashboard
