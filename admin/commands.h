// vq-admin's command line (CLI11): one subcommand per verb, each with --help.
#pragma once

namespace vq::admin {

// Parses the command line, runs the verb and returns the exit status (exit_codes.h); `run`
// does not return when it execs the shim.
int admin_main(int argc, char** argv);

}  // namespace vq::admin
