#include "commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "config.h"
#include "exit_codes.h"
#include "verbs.h"

namespace vq::admin {
namespace {

// A verb: its CLI11 subcommand and what runs once the command line is parsed.
struct Verb {
  CLI::App* command = nullptr;
  std::function<int(const VerbRequest&)> action;
};

// CLI11's Range calls "abc" out of range; a value that is no number at all is named as such.
CLI::Validator whole_number_from(int min, int max) {
  std::string range = std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        int value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec == std::errc::invalid_argument || end != text.data() + text.size()) {
          return "'" + text + "' is not a whole number: give one from " + range;
        }
        if (ec != std::errc{} || value < min || value > max) {
          return text + " is out of range: give a whole number from " + range;
        }
        return "";
      },
      "INT " + range);
}

void add_status(CLI::App& app, VerbRequest& request, std::vector<Verb>& verbs) {
  auto* status =
      app.add_subcommand("status", "Show holders, waiters, limit, pause and stale records");
  status->add_flag("--json", request.json, "Print the report as JSON (schema in the README)");
  auto* watch_flag =
      status->add_flag("--watch", request.watch, "Redraw the report in place until Ctrl-C");
  status->add_option("--interval", request.interval_ms, "Milliseconds between redraws with --watch")
      ->check(CLI::Range(100, 3600000))
      ->needs(watch_flag);
  status
      ->add_option("--sample", request.sample_ms,
                   "Also measure each run's CPU over this many milliseconds (cpu_percent); "
                   "without it, CPU is the average over the run so far")
      ->check(CLI::Range(1, 10000))
      ->excludes(watch_flag);
  status->footer("Exit status: 0, or 69 when the table is unreadable, 75 when its lock is stuck.");
  verbs.push_back({status, status_verb});
}

void add_steering(CLI::App& app, VerbRequest& request, std::vector<Verb>& verbs) {
  auto* cleanup = app.add_subcommand("cleanup",
                                     "Remove records of holders and waiters that are "
                                     "gone (never a live one)");
  cleanup->add_flag("--orphans", request.orphans,
                    "Also end the processes ended runs left behind (SIGTERM, by process group)");
  verbs.push_back({cleanup, cleanup_verb});
  auto* limit = app.add_subcommand("limit", "Change how many vitest runs are admitted at once");
  limit->add_option("N", request.limit, "The new limit, 1 to 64")
      ->check(whole_number_from(1, k_max_limit));
  limit
      ->add_option("--cluster", request.cluster_limit,
                   "Change the cluster queue's limit instead (VQ_CLUSTER), 1 to " +
                       std::to_string(cluster::k_max_cluster_limit))
      ->check(whole_number_from(1, cluster::k_max_cluster_limit));
  limit->require_option(1);
  verbs.push_back({limit, limit_verb});
  verbs.push_back(
      {app.add_subcommand("pause", "Stop admitting new runs (running ones finish)"), pause_verb});
  verbs.push_back({app.add_subcommand("resume", "Start admitting again"), resume_verb});
  auto* priority = app.add_subcommand(
      "priority", "Change a waiting run's priority level: vq-admin priority 4242 high");
  priority->add_option("pid", request.pid, "The waiting run's PID (vq-admin status)")
      ->required()
      ->check(whole_number_from(1, INT_MAX));
  priority->add_option("level", request.level, "low, normal, high or urgent (or 0 to 3)")
      ->required();
  verbs.push_back({priority, priority_verb});
  auto* urgent =
      app.add_subcommand("urgent", "Move a waiting run to the front: it is admitted next");
  urgent->add_option("pid", request.pid, "The waiting run's PID (vq-admin status)")
      ->required()
      ->check(whole_number_from(1, INT_MAX));
  verbs.push_back({urgent, urgent_verb});
}

void add_run(CLI::App& app, VerbRequest& request, std::vector<Verb>& verbs) {
  auto* run = app.add_subcommand(
      "run", "Run vitest through the queue as <agent_id>: vq-admin run agent-1 --run");
  run->add_option("agent_id", request.agent_id, "The agent this run belongs to (VQ_AGENT_ID)")
      ->required();
  run->add_option("vitest_args", request.vitest_args, "Arguments for vitest");
  run->prefix_command();
  verbs.push_back({run, run_verb});
}

void add_repair(CLI::App& app, VerbRequest& request, std::vector<Verb>& verbs) {
  auto* reset = app.add_subcommand(
      "reset", "Rebuild an unreadable or incompatible slot table (refuses while runs are live)");
  reset->add_flag("--force", request.force, "Rebuild even while holders or waiters are live");
  verbs.push_back({reset, reset_verb});
  verbs.push_back(
      {app.add_subcommand(
           "doctor", "Check the installation for this shell and directory, with a fix per problem"),
       doctor_verb});
}

void add_serve(CLI::App& app, VerbRequest& request, std::vector<Verb>& verbs) {
  auto* serve = app.add_subcommand(
      "serve", "Serve a live dashboard of the queue in the browser (prints the URL to open)");
  auto* listen = serve->add_option("--listen", request.listen,
                                   "HOST:PORT to listen on (default 127.0.0.1:0, a free port; "
                                   "any other address warns)");
  serve->add_option("--socket", request.socket_path, "Listen on this Unix socket instead")
      ->excludes(listen);
  serve->add_flag("--read-only", request.read_only, "Show the queue but refuse every control");
  serve
      ->add_option("--max-streams", request.max_streams,
                   "Open event streams at once (beyond: 503), default 8")
      ->check(whole_number_from(1, 256));
  serve->add_option("--token-file", request.token_file,
                    "Keep the token in this file (made 0600 if missing), so the URL outlives a "
                    "restart");
  serve->footer("Runs until Ctrl-C or SIGTERM. API and token: the README's \"Dashboard\".");
  verbs.push_back({serve, serve_verb});
}

void add_history(CLI::App& app, VerbRequest& request, std::vector<Verb>& verbs) {
  auto* history = app.add_subcommand(
      "history",
      "Show recorded runs, newest first, and per project p50/p90 of wait, run time "
      "and peak memory");
  history->add_option("--project", request.project, "Only runs of this project directory");
  history->add_option("--agent", request.history_agent, "Only runs of this agent");
  history->add_option("--since", request.since,
                      "Only runs that ended this long ago or later: "
                      "45s, 30m, 2h, 7d, 2w");
  history->add_option("--limit", request.history_limit, "How many runs to list (default 50)")
      ->check(whole_number_from(1, 100000));
  history->add_flag("--json", request.json, "Print as JSON (schema in docs/HISTORY.md)");
  verbs.push_back({history, history_verb});
  auto* metrics =
      app.add_subcommand("metrics",
                         "Print Prometheus metrics: runs by how they ended, wait and peak-memory "
                         "histograms, slots in use, waiting runs");
  metrics->add_option("--textfile", request.textfile_dir,
                      "Write DIR/vq.prom atomically (node_exporter's textfile collector) "
                      "instead of printing");
  verbs.push_back({metrics, metrics_verb});
}

void describe_app(CLI::App& app, VerbRequest& request) {
  app.require_subcommand(1);
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string verb;
    for (const CLI::App* sub : failed->get_subcommands()) verb = sub->get_name() + " ";
    return "vq-admin: error: " + std::string(e.what()) + " — see `vq-admin " + verb + "--help`\n";
  });
  app.add_option("--queue-dir", request.queue_dir,
                 "Queue directory, before or after the verb (default: VQ_QUEUE_DIR, else "
                 "/tmp/vq-$UID)");
  app.set_version_flag("--version", std::string("vq-admin ") + VQ_VERSION,
                       "Print vq-admin's version and exit");
  // Verbs made after this pass options they do not know (--queue-dir) up to vq-admin's own.
  app.fallthrough();
}

// `help [verb]`: what `--help` and `verb --help` print. (App::help would describe the verb
// that was parsed, `help` itself.)
int print_help(const CLI::App& app, const std::string& verb_name) {
  if (verb_name.empty()) {
    std::fputs(app.get_formatter()->make_help(&app, "vq-admin", CLI::AppFormatMode::Normal).c_str(),
               stdout);
    return k_exit_ok;
  }
  const CLI::App* verb = nullptr;
  try {
    verb = app.get_subcommand(verb_name);
  } catch (const CLI::OptionNotFound&) {
    error_line("unknown verb '" + verb_name + "' — see `vq-admin --help`");
    return k_exit_usage;
  }
  std::fputs(verb->get_formatter()
                 ->make_help(verb, "vq-admin " + verb_name, CLI::AppFormatMode::Normal)
                 .c_str(),
             stdout);
  return k_exit_ok;
}

void add_help(CLI::App& app, std::string& verb_name, std::vector<Verb>& verbs) {
  auto* help = app.add_subcommand("help", "Show this help; `help VERB`: that verb's");
  help->add_option("verb", verb_name, "The verb to explain");
  verbs.push_back(
      {help, [&app, &verb_name](const VerbRequest&) { return print_help(app, verb_name); }});
}

std::string verb_names(const std::vector<Verb>& verbs) {
  std::string names;
  for (const Verb& verb : verbs) names += (names.empty() ? "" : ", ") + verb.command->get_name();
  return names;
}

// Past any `--queue-dir DIR` / `--queue-dir=DIR` from argv[at] on, whose value is stored in
// `request`: where the next other word is.
int skip_queue_dir(int argc, char** argv, int at, VerbRequest& request) {
  while (at < argc) {
    std::string word = argv[at];
    if (word == "--queue-dir" && at + 1 < argc) {
      request.queue_dir = argv[at + 1];
      at += 2;
    } else if (word.starts_with("--queue-dir=")) {
      request.queue_dir = word.substr(12);
      at += 1;
    } else {
      break;
    }
  }
  return at;
}

// `run [--queue-dir DIR] <agent_id> …`: everything after the agent id is vitest's, --help
// included, so it is taken apart here rather than by CLI11 (which would answer --help itself).
// Returns where the agent id is, or 0 when the line is not of that form.
int plain_run_agent_at(int argc, char** argv, VerbRequest& request) {
  int verb_at = skip_queue_dir(argc, argv, 1, request);
  if (verb_at >= argc || std::string(argv[verb_at]) != "run") return 0;
  int agent_at = skip_queue_dir(argc, argv, verb_at + 1, request);
  return agent_at < argc && argv[agent_at][0] != '-' ? agent_at : 0;
}

int parse_and_run(CLI::App& app, const std::vector<Verb>& verbs, VerbRequest& request, int argc,
                  char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? k_exit_ok : k_exit_usage;
  }
  for (const Verb& verb : verbs) {
    if (!verb.command->parsed()) continue;
    // Only the forms the early dispatch leaves alone (e.g. an agent id given after an
    // option) reach `run` here; CLI11 has answered --help and errors for them.
    for (const std::string& extra : verb.command->remaining()) request.vitest_args.push_back(extra);
    return verb.action(request);
  }
  return k_exit_usage;
}

const char* const k_app_description =
    "vq-admin: see, repair and steer the machine-wide vitest queue.\n"
    "Works on the queue the vitest shim uses: VQ_QUEUE_DIR, else /tmp/vq-$UID.";

// Every verb and option, in the order `--help` lists them.
std::vector<Verb> describe_command_line(CLI::App& app, VerbRequest& request,
                                        std::string& help_verb) {
  describe_app(app, request);
  std::vector<Verb> verbs;
  add_status(app, request, verbs);
  add_steering(app, request, verbs);
  add_run(app, request, verbs);
  add_repair(app, request, verbs);
  add_history(app, request, verbs);
  add_serve(app, request, verbs);
  add_help(app, help_verb, verbs);
  return verbs;
}

std::vector<OptionSpec> option_specs(const CLI::App& command) {
  std::vector<OptionSpec> options;
  for (const CLI::Option* option : command.get_options()) {
    OptionSpec spec;
    for (const std::string& name : option->get_snames()) spec.names.push_back("-" + name);
    for (const std::string& name : option->get_lnames()) spec.names.push_back("--" + name);
    spec.description = option->get_description();
    if (spec.names.empty()) {
      spec.positional = option->get_name();
    } else {
      spec.takes_value = option->get_expected_max() > 0;
    }
    options.push_back(std::move(spec));
  }
  return options;
}

}  // namespace

CommandLineSpec command_line_spec() {
  CLI::App app{k_app_description, "vq-admin"};
  VerbRequest request;
  std::string help_verb;
  std::vector<Verb> verbs = describe_command_line(app, request, help_verb);
  CommandLineSpec spec;
  spec.options = option_specs(app);
  for (const Verb& verb : verbs) {
    spec.verbs.push_back({verb.command->get_name(), verb.command->get_description(),
                          option_specs(*verb.command), verb.command->get_prefix_command()});
  }
  return spec;
}

int admin_main(int argc, char** argv) {
  CLI::App app{k_app_description, "vq-admin"};
  VerbRequest request;
  std::string help_verb;
  std::vector<Verb> verbs = describe_command_line(app, request, help_verb);

  if (int agent_at = plain_run_agent_at(argc, argv, request); agent_at > 0) {
    request.agent_id = argv[agent_at];
    request.vitest_args.assign(argv + agent_at + 1, argv + argc);
    return run_verb(request);
  }
  // CLI11 would call an unknown verb "a missing subcommand"; name it instead.
  bool known = std::any_of(verbs.begin(), verbs.end(), [&](const Verb& verb) {
    return argc > 1 && verb.command->get_name() == argv[1];
  });
  if (argc > 1 && argv[1][0] != '-' && !known) {
    error_line(std::string("unknown verb '") + argv[1] + "' — verbs: " + verb_names(verbs) +
               " (see `vq-admin --help`)");
    return k_exit_usage;
  }
  return parse_and_run(app, verbs, request, argc, argv);
}

}  // namespace vq::admin
