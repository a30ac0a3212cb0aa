// What each vq-admin verb does once its command line is parsed: open the queue it names, act,
// print the outcome, and return the exit status (exit_codes.h). commands.cpp maps verbs to these.
#pragma once

#include <string>
#include <vector>

namespace vq::admin {

// Everything the command line can ask for; each verb reads its own fields.
struct VerbRequest {
  std::string queue_dir;                 // --queue-dir; empty: VQ_QUEUE_DIR, else the default
  bool json = false;                     // status
  bool watch = false;                    // status
  int interval_ms = 1000;                // status --watch
  int sample_ms = 0;                     // status --sample; 0: none
  int limit = 0;                         // limit N
  int cluster_limit = 0;                 // limit --cluster N (VQ_CLUSTER's queue)
  bool force = false;                    // reset
  bool orphans = false;                  // cleanup --orphans
  std::string agent_id;                  // run
  std::vector<std::string> vitest_args;  // run
  std::string project;                   // history --project
  std::string history_agent;             // history --agent
  std::string since;                     // history --since, e.g. 30m
  int history_limit = 50;                // history --limit
  std::string textfile_dir;              // metrics --textfile
  int pid = 0;                           // priority, urgent: the waiting run
  std::string level;                     // priority: low, normal, high, urgent (or 0..3)
  std::string listen;                    // serve --listen
  std::string socket_path;               // serve --socket
  bool read_only = false;                // serve --read-only
  int max_streams = 8;                   // serve --max-streams
  std::string token_file;                // serve --token-file
};

int status_verb(const VerbRequest& request);
int cleanup_verb(const VerbRequest& request);
int limit_verb(const VerbRequest& request);
int pause_verb(const VerbRequest& request);
int resume_verb(const VerbRequest& request);
int priority_verb(const VerbRequest& request);
int urgent_verb(const VerbRequest& request);
int run_verb(const VerbRequest& request);  // returns only when the shim cannot be executed
int reset_verb(const VerbRequest& request);
int doctor_verb(const VerbRequest& request);
int history_verb(const VerbRequest& request);  // history_verbs.cpp
int metrics_verb(const VerbRequest& request);  // history_verbs.cpp
int serve_verb(const VerbRequest& request);    // until SIGINT/SIGTERM

// "vq-admin: error: <text>" on stderr.
void error_line(const std::string& text);
// "vq-admin: warning: <text>" on stderr.
void warning_line(const std::string& text);

}  // namespace vq::admin
