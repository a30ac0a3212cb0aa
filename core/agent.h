// Which agent a run belongs to: VQ_AGENT_ID when given, else a readable derived label.
#pragma once

#include <string>

#include "config.h"

namespace vq {

struct Agent {
  std::string id;
  bool explicit_id = false;  // per-agent caps apply only to explicit ids
};

// Derived labels name the tool (from well-known agent variables, CI, else "shell") and where
// the run came from (terminal, else session id): "claude-code@sid4242", "shell@pts/3".
Agent resolve_agent(const Config& config, const EnvLookup& env);

}  // namespace vq
