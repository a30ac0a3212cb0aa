// What the preload library asks of the shim: VQ_REDIRECT="<first_vitest_arg>:<target>" names
// the program the launcher was about to exec (node_modules/.bin/vitest, or node) and where in
// the shim's argv, which is the launcher's own, vitest's arguments begin.
#pragma once

#include <string>

#include "result.h"

namespace vq {

struct PreloadRedirect {
  std::string target;        // exec'd as the launcher would have, with the same argv prefix
  int first_vitest_arg = 1;  // argv[0 .. first_vitest_arg) is the launcher's part
};

// Parses the variable's value against the shim's argc; an error names what is wrong.
Result<PreloadRedirect> parse_preload_redirect(const std::string& value, int argc);

}  // namespace vq
