// vq-admin's command line (CLI11): one subcommand per verb, each with --help.
#pragma once

#include <string>
#include <vector>

namespace vq::admin {

// Parses the command line, runs the verb and returns the exit status (exit_codes.h); `run`
// does not return when it execs the shim.
int admin_main(int argc, char** argv);

// One option or positional argument as CLI11 knows it.
struct OptionSpec {
  std::vector<std::string> names;  // "-h", "--help"; empty for a positional argument
  std::string positional;          // the positional argument's name ("N", "verb")
  std::string description;
  bool takes_value = false;
};

struct VerbSpec {
  std::string name;
  std::string description;
  std::vector<OptionSpec> options;
  bool passes_rest = false;  // the words after its first argument are another program's (run)
};

// Every verb and option of vq-admin, read from the very definitions admin_main parses with, so
// what is generated from it (the shell completions) and checked against it (the manual page)
// cannot fall behind the command line.
struct CommandLineSpec {
  std::vector<OptionSpec> options;  // vq-admin's own: given before or after the verb
  std::vector<VerbSpec> verbs;      // in the order `vq-admin --help` lists them
};
CommandLineSpec command_line_spec();

}  // namespace vq::admin
