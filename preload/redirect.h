// Turning a matched vitest launch into an exec of the shim: the decision and the environment
// that carries the real target. Heap-free, like everything the hooks call.
#pragma once

#include <cstddef>

#include "launch_match.h"

namespace vq::preload {

// Set by the preload for the shim: "<first_vitest_arg>:<target>". The shim removes it.
inline constexpr char k_redirect_variable[] = "VQ_REDIRECT";
// Set by the shim to its own pid before it execs vitest: that process's exec chain (pnpm's
// .bin script exec'ing node, env exec'ing node) is already routed and must pass through.
inline constexpr char k_routed_variable[] = "VQ_ROUTED";

enum class Verdict {
  pass,      // not a vitest launch
  routed,    // a vitest launch this process already routed through the shim
  disabled,  // VQ_DISABLE is set to a true value
  missing,   // the kernel would not run the target: the exec must fail (or fall back) as it would
  no_shim,   // the shim cannot be executed
  redirect   // exec the shim instead
};

struct Decision {
  Verdict verdict = Verdict::pass;
  LaunchMatch match;
};

// `program`: the file about to be executed (PATH already searched); `envp`: the environment it
// gets; `self`: this process's pid; `shim`: the shim's path; `buffers`: match_launch's room.
Decision decide(const char* program, char* const argv[], char* const envp[], long self,
                const char* shim, MatchBuffers& buffers);

// The value of `name` in a NULL-terminated environment array, or nullptr.
const char* env_value(char* const envp[], const char* name);

// A boolean setting as vq's configuration reads it: 1, true, yes, on (any case) are true.
bool is_true(const char* value);

// Whether `value` is the decimal form of `pid`.
bool names_pid(const char* value, long pid);

// Writes "VQ_REDIRECT=<first_vitest_arg>:<target>" into `out`; false when it does not fit.
bool format_redirect(int first_vitest_arg, const char* target, char* out, std::size_t capacity);

// Copies `envp` into `out` without any VQ_REDIRECT entry, appends `extra` and a terminating
// nullptr. Returns false when `out` (of `capacity` pointers) is too small.
bool environment_with(char* const envp[], const char* extra, char** out, std::size_t capacity);

// "<directory of library_path>/shims/vitest": where the shim is installed beside the library.
bool shim_beside(const char* library_path, char* out, std::size_t capacity);

// The shim beside the first absolute libvq-preload.so path in an LD_PRELOAD value (entries
// separated by ':' or ' ', as ld.so reads them); false when there is none.
bool shim_from_preload_list(const char* preload, char* out, std::size_t capacity);

}  // namespace vq::preload
