// A run's watcher started while its launch still waits for a slot, so that the handoff (a
// holder's exit → the next run's vitest) does not pay for the watcher's start (two forks and an
// exec, most of vq's part of it). It waits on a socket; the shim tells it how the wait
// ended in one line (watch/admission_message.h) just before exec, or tells it nothing if the
// shim is killed first. Only under a local queue: a cluster watcher is started after the local
// wait, with its report pipe.
#pragma once

#include <string>

#include "watch_request.h"

namespace vq {

class PendingWatcher {
 public:
  PendingWatcher() = default;
  PendingWatcher(const PendingWatcher&) = delete;
  PendingWatcher& operator=(const PendingWatcher&) = delete;
  ~PendingWatcher();

  // Starts `program` for `request` (watch mode, no slot yet). Fail open: false, and the caller
  // starts a watcher at the end of the wait as usual.
  bool start(const std::string& program, const watch::WatchRequest& request);
  bool started() const { return m_fd >= 0; }
  // Tells the watcher the outcome (watch: slot and admission time; record: how the wait ended),
  // with the OOM baseline read now, and closes the pipe.
  void tell(watch::WatchRequest outcome);

 private:
  int m_fd = -1;  // the shim's end of the admission socket pair (close-on-exec)
  std::string m_oom_file;
};

}  // namespace vq
