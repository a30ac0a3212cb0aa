// Is this exec a vitest launch, and what does the shim need to run it? The pure logic of the
// preload library, unit-tested without LD_PRELOAD.
//
// Everything here may run inside a hook, possibly in a vfork child sharing its parent's memory:
// no heap, no locks, no stdio, no exceptions, no C++ runtime. Only caller-supplied buffers and
// plain system calls (getcwd, readlink, access, stat). Any doubt answers "not a launch".
#pragma once

#include <cstddef>

namespace vq::preload {

// Byte size of every path buffer the hooks use (PATH_MAX).
inline constexpr std::size_t k_path_capacity = 4096;

// The room match_launch needs for paths: a relative script made absolute, a symlink's target.
// The caller's, so the hooks can keep it off their stack (they may run on a small signal stack).
struct MatchBuffers {
  char script[k_path_capacity];
  char link_target[k_path_capacity];
};

enum class LaunchKind {
  none,        // not a vitest launch: exec unchanged
  bin_script,  // an exec of …/node_modules/.bin/vitest (npm symlink, pnpm script)
  node_script  // node (or nodejs) running a script that is vitest's vitest.mjs
};

struct LaunchMatch {
  LaunchKind kind = LaunchKind::none;
  // argv[0 .. first_vitest_arg) is the launcher (the .bin path, or node, its options and the
  // script); vitest's own arguments start at argv[first_vitest_arg].
  int first_vitest_arg = 0;
  const char* why = "";  // a static phrase for VQ_DEBUG
};

// Cheap first filter: only a file named vitest, node or nodejs can be a launch.
bool is_launch_candidate(const char* program);

// `program` is the file that will be executed (after any PATH search), `argv` its arguments.
// Relative script paths are made absolute against the working directory, in `buffers`.
LaunchMatch match_launch(const char* program, char* const argv[], MatchBuffers& buffers);

}  // namespace vq::preload
