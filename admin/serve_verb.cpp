#include "serve_verb.h"

#include <cstdio>
#include <optional>

#include "exit_codes.h"
#include "http_server.h"
#include "queue_choice.h"
#include "serve_controls.h"
#include "serve_history.h"
#include "status_json.h"
#include "status_report.h"
#include "verbs.h"

namespace vq::admin {
namespace {

// Short: the server has one thread, and a stuck lock must not stall every client for long.
constexpr std::chrono::milliseconds k_serve_lock_wait{500};

using Json = nlohmann::ordered_json;

// The document `status --json` prints: CPU as the average over each run.
Result<std::string> status_document(QueueStore& queue) {
  auto report = collect_status(queue, k_serve_lock_wait);
  if (!report) return report.error();
  add_usage(*report, ProcessSnapshot::take_trees(active_pids(*report)));
  return status_json(*report).dump(2) + "\n";
}

// The stream's documents: the same, with CPU over the time since the previous poll.
dashboard::StatusPoll stream_poll(QueueStore& queue) {
  auto before = std::make_shared<std::optional<ProcessSnapshot>>();
  return [&queue, before]() -> Result<Json> {
    auto report = collect_status(queue, k_serve_lock_wait);
    if (!report) return report.error();
    ProcessSnapshot now = ProcessSnapshot::take_trees(active_pids(*report));
    add_usage(*report, now, *before ? &**before : nullptr);
    *before = std::move(now);
    return status_json(*report);
  };
}

Result<dashboard::ListenAddress> listen_address(const ServeOptions& options) {
  if (!options.socket_path.empty()) {
    if (!options.listen.empty()) {
      return Error::of_kind(ErrorKind::bad_config, "--listen and --socket both given — choose one");
    }
    dashboard::ListenAddress address;
    address.socket_path = options.socket_path;
    return address;
  }
  if (options.listen.empty()) return dashboard::ListenAddress{};
  return dashboard::parse_listen_address(options.listen);
}

void print_where(const std::string& bound, const dashboard::ListenAddress& address,
                 const dashboard::AccessToken& token, const std::string& queue_dir) {
  if (!address.is_loopback()) {
    std::fprintf(stderr,
                 "vq: warning: serving on %s, which is not a loopback address: anyone who can "
                 "reach it and has the token sees every run's command line and can steer the "
                 "queue — serve on 127.0.0.1 (the default) unless you mean it\n",
                 bound.c_str());
  }
  std::printf("Serving the queue %s (token id %s; Ctrl-C stops).\n", queue_dir.c_str(),
              token.id().c_str());
  if (address.socket_path.empty()) {
    std::printf("Open: http://%s/?token=%s\n", bound.c_str(), token.secret().c_str());
  } else {
    std::printf(
        "Socket: %s\nTry: curl --unix-socket %s -H 'X-VQ-Token: %s' http://localhost/api/status\n",
        bound.c_str(), bound.c_str(), token.secret().c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int serve_queue(const std::string& queue_dir_option, const ServeOptions& options) {
  auto config = load_admin_config(process_env(), queue_dir_option);
  if (!config) {
    error_line(config.error().message + " — fix or unset it");
    return k_exit_config;
  }
  auto address = listen_address(options);
  if (!address) {
    error_line(address.error().message);
    return k_exit_usage;
  }
  bool created = false;
  auto queue = attach_or_create_queue(*config, config->limit, k_serve_lock_wait, created);
  if (!queue) {
    error_line(queue.error().message + " — fix it, or choose another queue with --queue-dir");
    return k_exit_unavailable;
  }
  if (created) {
    std::printf("Created the queue %s with limit %d (no run had used it yet).\n",
                queue->dir().path().c_str(), config->limit);
  }
  auto token = options.token_file.empty() ? dashboard::AccessToken::make()
                                          : dashboard::AccessToken::kept_in(options.token_file);
  if (!token) {
    error_line(token.error().message);
    return k_exit_unavailable;
  }
  dashboard::DataSources sources;
  sources.status = [&queue] { return status_document(*queue); };
  sources.history = [&config](const std::map<std::string, std::string>& query) {
    return history_document(*config, query);
  };
  sources.metrics = [&config, &queue] {
    return metrics_document(*config, collect_status(*queue, k_serve_lock_wait));
  };
  dashboard::RequestRouter router(*token, options.read_only,
                                  queue_controls(*queue, k_serve_lock_wait), sources);
  dashboard::ServerLimits limits;
  limits.max_streams = options.max_streams;
  dashboard::DashboardServer server(std::move(router), stream_poll(*queue), limits);
  auto bound = server.listen(*address);
  if (!bound) {
    error_line(bound.error().message + " — choose another address or port with --listen");
    return k_exit_unavailable;
  }
  print_where(*bound, *address, *token, queue->dir().path());
  server.run();
  std::printf("Stopped serving.\n");
  return k_exit_ok;
}

}  // namespace vq::admin
