// Shell completion scripts for vq-admin (bash, zsh, fish), written from its command line's own
// definitions (command_line_spec), so a verb or option added there is completed without a
// second list to keep. The build writes them with vq-admin-completions; vq-install and the
// .deb install them.
#pragma once

#include <optional>
#include <string>

#include "commands.h"

namespace vq::admin {

std::string bash_completion(const CommandLineSpec& spec);
std::string zsh_completion(const CommandLineSpec& spec);
std::string fish_completion(const CommandLineSpec& spec);

// The script for a shell named "bash", "zsh" or "fish"; nothing for any other name.
std::optional<std::string> completion_for(const std::string& shell, const CommandLineSpec& spec);

// `vq-admin-completions SHELL [FILE]`: the script into FILE (else stdout); exit status 0, 2 for
// a bad argument, 69 when it cannot be written.
int completions_main(int argc, char** argv);

}  // namespace vq::admin
