// A fake environment for tests: a map looked up like getenv.
#pragma once

#include <map>
#include <string>

#include "config.h"

namespace vq::test {

inline EnvLookup lookup_in(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace vq::test
