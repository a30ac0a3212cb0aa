#include "watch_request.h"

#include <charconv>
#include <functional>
#include <map>

namespace vq::watch {
namespace {

template <typename T>
bool parse_number(const std::string& text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

using Setter = std::function<bool(WatchRequest&, const std::string&)>;

template <typename T>
Setter number(T WatchRequest::*field) {
  return [field](WatchRequest& r, const std::string& v) { return parse_number(v, r.*field); };
}

template <typename T>
Setter optional_number(std::optional<T> WatchRequest::*field) {
  return [field](WatchRequest& r, const std::string& v) {
    T value{};
    if (!parse_number(v, value)) return false;
    r.*field = value;
    return true;
  };
}

Setter text(std::string WatchRequest::*field) {
  return [field](WatchRequest& r, const std::string& v) {
    r.*field = v;
    return true;
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> k_setters = {
      {"queue_dir", text(&WatchRequest::queue_dir)},
      {"slot", number(&WatchRequest::slot)},
      {"pid", number(&WatchRequest::pid)},
      {"start_time", number(&WatchRequest::start_time)},
      {"pidfd", number(&WatchRequest::pidfd)},
      {"agent", text(&WatchRequest::agent)},
      {"cwd", text(&WatchRequest::cwd)},
      {"command", text(&WatchRequest::command)},
      {"vitest", text(&WatchRequest::vitest)},
      {"vitest_version", text(&WatchRequest::vitest_version)},
      {"priority", number(&WatchRequest::priority)},
      {"queued_ms", number(&WatchRequest::queued_at_ms)},
      {"admitted_ms", optional_number(&WatchRequest::admitted_at_ms)},
      {"end", text(&WatchRequest::end)},
      {"end_code", number(&WatchRequest::end_code)},
      {"ended_ms", number(&WatchRequest::ended_at_ms)},
      {"report_fd", number(&WatchRequest::report_fd)},
      {"admission_fd", number(&WatchRequest::admission_fd)},
      {"oom_file", text(&WatchRequest::oom_file)},
      {"oom_kills", optional_number(&WatchRequest::oom_kills_before)},
      {"record",
       [](WatchRequest& r, const std::string& v) {
         r.record = v != "0";
         return v == "0" || v == "1";
       }},
  };
  return k_setters;
}

}  // namespace

std::vector<std::string> to_arguments(const WatchRequest& request) {
  std::vector<std::string> args;
  args.push_back(request.mode == WatchRequest::Mode::watch ? "watch" : "record");
  auto add = [&args](const char* key, const std::string& value) {
    args.push_back(std::string(key) + "=" + value);
  };
  add("queue_dir", request.queue_dir);
  add("slot", std::to_string(request.slot));
  add("pid", std::to_string(request.pid));
  add("start_time", std::to_string(request.start_time));
  if (request.pidfd >= 0) add("pidfd", std::to_string(request.pidfd));
  add("agent", request.agent);
  add("cwd", request.cwd);
  add("command", request.command);
  add("vitest", request.vitest);
  add("vitest_version", request.vitest_version);
  add("priority", std::to_string(request.priority));
  add("queued_ms", std::to_string(request.queued_at_ms));
  if (request.admitted_at_ms) add("admitted_ms", std::to_string(*request.admitted_at_ms));
  if (request.report_fd >= 0) add("report_fd", std::to_string(request.report_fd));
  if (request.admission_fd >= 0) add("admission_fd", std::to_string(request.admission_fd));
  if (!request.record) add("record", "0");
  if (!request.oom_file.empty()) add("oom_file", request.oom_file);
  if (request.oom_kills_before) add("oom_kills", std::to_string(*request.oom_kills_before));
  if (request.mode == WatchRequest::Mode::record) {
    add("end", request.end);
    add("end_code", std::to_string(request.end_code));
    add("ended_ms", std::to_string(request.ended_at_ms));
  }
  return args;
}

bool apply_argument(WatchRequest& request, const std::string& argument) {
  std::size_t equals = argument.find('=');
  if (equals == std::string::npos) return false;
  auto setter = setters().find(argument.substr(0, equals));
  return setter != setters().end() && setter->second(request, argument.substr(equals + 1));
}

Result<WatchRequest> parse_arguments(const std::vector<std::string>& args) {
  WatchRequest request;
  if (args.empty() || (args[0] != "watch" && args[0] != "record")) {
    return Error{"expected `watch` or `record` as the first argument"};
  }
  request.mode = args[0] == "watch" ? WatchRequest::Mode::watch : WatchRequest::Mode::record;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (!apply_argument(request, args[i])) return Error{"bad argument `" + args[i] + "`"};
  }
  if (request.pid <= 0) return Error{"missing pid=PID"};
  if (request.mode == WatchRequest::Mode::record && request.end != "timed_out" &&
      request.end != "interrupted") {
    return Error{"record needs end=timed_out or end=interrupted"};
  }
  return request;
}

}  // namespace vq::watch
