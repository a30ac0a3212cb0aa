// One writer of the history, as vq-watch is: opens the database, appends one run, and says on
// stdout whether it rebuilt the file. Started many at once by the concurrency tests.
//   history_writer DB AGENT
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "history_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: history_writer DB AGENT\n");
    return 2;
  }
  using namespace std::chrono;
  std::int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  vq::history::RunRecord run;
  run.queue_dir = "/tmp/vq-concurrency";
  run.agent = argv[2];
  run.pid = static_cast<int>(::getpid());
  run.queued_at_ms = now - 20;
  run.admitted_at_ms = now - 10;
  run.ended_at_ms = now;
  run.end = vq::history::RunEnd::exited;
  auto store = vq::history::HistoryStore::open(argv[1]);
  vq::Result<void> appended = store ? store->append(run) : vq::Result<void>(store.error());
  if (!appended) {
    std::fprintf(stderr, "history_writer: %s\n", appended.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", store->rebuilt() ? "rebuilt" : "appended");
  return 0;
}
