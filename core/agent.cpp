#include "agent.h"

#include <unistd.h>

#include <array>
#include <cctype>
#include <string_view>

namespace vq {
namespace {

struct KnownTool {
  const char* variable;
  const char* label;
};

constexpr std::array<KnownTool, 8> k_known_tools = {{
    {"CLAUDECODE", "claude-code"},
    {"CURSOR_AGENT", "cursor"},
    {"CODEX_SANDBOX", "codex"},
    {"GEMINI_CLI", "gemini"},
    {"AIDER_MODEL", "aider"},
    {"REPL_ID", "replit"},
    {"GITHUB_ACTIONS", "github-actions"},
    {"CI", "ci"},
}};

std::string sanitize(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 32)) {
    out += std::isgraph(static_cast<unsigned char>(c)) ? c : '_';
  }
  return out;
}

std::string tool_label(const EnvLookup& env) {
  if (const char* ai = env("AI_AGENT"); ai != nullptr && *ai != '\0') return sanitize(ai);
  for (const auto& tool : k_known_tools) {
    const char* value = env(tool.variable);
    if (value != nullptr && *value != '\0' && std::string_view(value) != "0") return tool.label;
  }
  return "shell";
}

std::string origin_label() {
  for (int fd : {2, 0, 1}) {
    if (const char* tty = ::ttyname(fd); tty != nullptr) {
      std::string_view name(tty);
      if (name.starts_with("/dev/")) name.remove_prefix(5);
      return sanitize(name);
    }
  }
  return "sid" + std::to_string(::getsid(0));
}

}  // namespace

Agent resolve_agent(const Config& config, const EnvLookup& env) {
  if (config.agent_id) return Agent{*config.agent_id, true};
  return Agent{tool_label(env) + "@" + origin_label(), false};
}

}  // namespace vq
