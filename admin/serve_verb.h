// `vq-admin serve`: the queue's dashboard over HTTP (dashboard/), fed from this queue: the
// status document as `status --json` prints it, the controls of serve_controls.
#pragma once

#include <string>

namespace vq::admin {

struct ServeOptions {
  std::string listen;       // --listen HOST:PORT; empty: 127.0.0.1, a free port
  std::string socket_path;  // --socket PATH: a Unix socket instead
  bool read_only = false;   // --read-only: controls are refused
  int max_streams = 8;      // --max-streams
  std::string token_file;   // --token-file: keep the token across restarts
};

// Serves until SIGINT/SIGTERM; returns the exit status.
int serve_queue(const std::string& queue_dir_option, const ServeOptions& options);

}  // namespace vq::admin
