#pragma once

#include <string>
#include <string_view>

// The script shell package managers run their scripts through (npm_config_script_shell,
// pnpm_config_script_shell): it puts vq's shim directory back in front of the PATH the package
// manager built (node_modules/.bin first) and then becomes the shell it would have run, so a
// `test` script's `vitest` reaches the shim without any LD_PRELOAD.
namespace vq::scriptshell {

// The shell run when the user recorded none: what npm, pnpm and yarn 1 run on Linux, by name
// (found on PATH, $0 "sh"), so it is looked up as they would.
inline constexpr std::string_view k_default_shell = "sh";
// Names the user's own script shell, recorded by vq-install, which this one chains to.
inline constexpr const char* k_chained_shell_variable = "VQ_SCRIPT_SHELL";

// PATH with shim_dir as its first entry and nowhere else; every other entry (empty ones, which
// mean the current directory, included) keeps its place.
std::string path_with_shims_first(std::string_view path, std::string_view shim_dir);

// The shell to become: the recorded one when set and non-empty, else sh.
std::string chained_shell(const char* recorded);

// The shim directory of the installation that holds this program: "shims" beside it.
std::string shim_dir_beside(std::string_view own_executable);

}  // namespace vq::scriptshell
