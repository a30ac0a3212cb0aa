// A chaos storm: many launches of the fake vitest through a shim at one limit, while this process
// SIGKILLs launches in every phase (starting, waiting, holding, stopped inside a table update)
// and continues some of the stopped ones instead.
//
// What ran is judged only by observers that do not ask vq: the fake's own start/end lines
// (overlap from records; a holder killed before its end line ends at the moment of the kill)
// and a sampler of /proc that counts live fake vitest processes among this process's children.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "process_harness.h"

namespace vq::mp {

struct StormOptions {
  int launches = 300;
  int limit = 4;
  unsigned seed = 1;
  std::string shim;           // the shim to launch (the hooked test shim, for pauses in an update)
  Env env;                    // base environment of every launch (FAKE_ID is set per launch)
  std::string tmp;            // where each launch's stdout/stderr files go
  std::string record_path;    // the fake's record file
  std::string lock_path;      // the queue's lock file, to confirm who holds the update lock
  int max_in_flight = 12;     // launches alive at once (holders and waiters)
  double victim_share = 0.2;  // launches killed at a random moment after they start
  double pause_share = 0.08;  // launches that stop themselves inside a table update
  double continue_share = 0.25;  // of those, continued (SIGCONT) instead of killed
  double snipe_chance = 0.5;     // every 50-150 ms, chance that a random holder is killed
  int fixed_sleep_ms = 0;        // every fake sleeps this long; 0: random durations
  std::chrono::milliseconds run_deadline{60'000};  // a launch alive longer has hung
};

struct StormFigures {
  int launches = 0;
  std::map<std::string, int> kills;    // by phase at the kill: starting, waiting, holder, in-update
  int paused = 0;                      // stops inside an update that were seen
  int paused_holding_update_lock = 0;  // ... with the update lock confirmed held by the stopped pid
  int continued = 0;                   // stopped ones continued instead of killed
  int max_overlap = 0;                 // from the records
  int overshoots = 0;                  // starts that took the records' count over the limit
  int max_sampled = 0;                 // from the /proc sampler
  long samples = 0;
  double slowest_handoff_ms = 0;  // longest a waiter waited beside a free slot (see .cpp)
  std::string slowest_handoff;    // which launch, and when
  int survivors = 0;              // launches never killed
  int survivors_started = 0;      // ... whose fake recorded a start
  int hangs = 0;                  // alive past run_deadline, or timed out in the queue (75)
  int crashes = 0;                // an unexpected status, signal or vq warning/error
  double wall_s = 0;
  std::vector<std::string> problems;  // one line per hang or crash, for the test's message

  int total_kills() const;
  std::string summary() const;  // one "key value" per line
};

StormFigures run_storm(const StormOptions& options);

}  // namespace vq::mp
