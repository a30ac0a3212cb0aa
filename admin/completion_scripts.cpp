#include "completion_scripts.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string_view>

#include "exit_codes.h"

namespace vq::admin {
namespace {

bool is_option(const OptionSpec& option) {
  return !option.names.empty();
}

// A value that names a directory (--queue-dir) completes directories; other values nothing.
bool takes_directory(const OptionSpec& option) {
  return option.takes_value && option.names.back().ends_with("-dir");
}

bool has_positional(const VerbSpec& verb, std::string_view name) {
  for (const OptionSpec& option : verb.options) {
    if (option.positional == name) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& words, std::string_view separator) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : std::string(separator)) + word;
  return text;
}

std::vector<std::string> unique(std::vector<std::string> words) {
  std::vector<std::string> kept;
  for (std::string& word : words) {
    if (std::find(kept.begin(), kept.end(), word) == kept.end()) kept.push_back(std::move(word));
  }
  return kept;
}

std::vector<std::string> verb_names(const CommandLineSpec& spec) {
  std::vector<std::string> names;
  for (const VerbSpec& verb : spec.verbs) names.push_back(verb.name);
  return names;
}

// The option names of `options` (all, or only those whose value is / is not a directory).
enum class Values { any, directory, other, none };
std::vector<std::string> option_names(const std::vector<OptionSpec>& options, Values values) {
  std::vector<std::string> names;
  for (const OptionSpec& option : options) {
    if (!is_option(option)) continue;
    bool wanted = values == Values::any ||
                  (values == Values::directory && takes_directory(option)) ||
                  (values == Values::other && option.takes_value && !takes_directory(option)) ||
                  (values == Values::none && !option.takes_value);
    if (wanted) names.insert(names.end(), option.names.begin(), option.names.end());
  }
  return names;
}

// vq-admin's own options that may follow `verb` (--queue-dir), minus the names the verb has too
// (every verb has its own --help).
std::vector<OptionSpec> options_after(const VerbSpec& verb, const CommandLineSpec& spec) {
  std::vector<std::string> own = option_names(verb.options, Values::any);
  std::vector<OptionSpec> options = verb.options;
  for (const OptionSpec& option : spec.options) {
    bool shadowed = std::any_of(option.names.begin(), option.names.end(), [&](const auto& name) {
      return std::find(own.begin(), own.end(), name) != own.end();
    });
    if (!shadowed) options.push_back(option);
  }
  return options;
}

// Inside single quotes, for sh-like shells: ' becomes '\''.
std::string sh_quoted(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A `case` pattern matching any of `names`; one that matches nothing when there are none.
std::string case_pattern(const std::vector<std::string>& names) {
  return names.empty() ? "--vq-no-such-option" : joined(names, "|");
}

// Text inside _arguments' brackets and _describe's items: brackets and colons are syntax there.
std::string zsh_escaped(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

// One _arguments spec per name of each option: "(-h --help)-h[Print this help]" and so on.
std::vector<std::string> zsh_option_specs(const std::vector<OptionSpec>& options) {
  std::vector<std::string> specs;
  for (const OptionSpec& option : options) {
    if (!is_option(option)) continue;
    std::string exclusive = option.names.size() > 1 ? "(" + joined(option.names, " ") + ")" : "";
    std::string value;
    if (option.takes_value) value = takes_directory(option) ? ":directory:_files -/" : ":value: ";
    for (const std::string& name : option.names) {
      specs.push_back(
          sh_quoted(exclusive + name + "[" + zsh_escaped(option.description) + "]" + value));
    }
  }
  return specs;
}

// Inside fish's single quotes: \ and ' are escaped.
std::string fish_quoted(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// `complete -c vq-admin [-n CONDITION] -s h -l help -d '…'` for each option.
std::string fish_option_lines(const std::vector<OptionSpec>& options,
                              const std::string& condition) {
  std::string lines;
  for (const OptionSpec& option : options) {
    if (!is_option(option)) continue;
    std::string line = "complete -c vq-admin";
    if (!condition.empty()) line += " -n " + fish_quoted(condition);
    for (const std::string& name : option.names) {
      line += name.starts_with("--") ? " -l " + name.substr(2) : " -s " + name.substr(1);
    }
    if (option.takes_value) {
      line += takes_directory(option) ? " -x -a '(__fish_complete_directories)'" : " -x";
    }
    lines += line + " -d " + fish_quoted(option.description) + "\n";
  }
  return lines;
}

const char* const k_generated_note =
    "Generated from vq-admin's command line (admin/commands.cpp) by vq-admin-completions;\n"
    "# do not edit: a verb or option added there is completed without a change here.\n";

}  // namespace

std::string bash_completion(const CommandLineSpec& spec) {
  std::vector<OptionSpec> every_option = spec.options;
  for (const VerbSpec& verb : spec.verbs) {
    every_option.insert(every_option.end(), verb.options.begin(), verb.options.end());
  }
  std::vector<std::string> value_options = unique(option_names(every_option, Values::directory));
  std::vector<std::string> other_values = unique(option_names(every_option, Values::other));
  std::vector<std::string> every_value = value_options;
  every_value.insert(every_value.end(), other_values.begin(), other_values.end());
  std::string global = joined(option_names(spec.options, Values::any), " ");
  std::string verbs = joined(verb_names(spec), " ");

  std::string script = "# bash completion for vq-admin: its verbs and options.\n# ";
  script += k_generated_note;
  script +=
      "_vq_admin() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  local verb='' arguments=0 i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case ${COMP_WORDS[i]} in\n"
      "      " +
      case_pattern(every_value) +
      ") i=$((i + 1)) ;;\n"
      "      -*) ;;\n"
      "      *) if [ -z \"$verb\" ]; then verb=${COMP_WORDS[i]}; else arguments=$((arguments + "
      "1)); fi ;;\n"
      "    esac\n"
      "  done\n"
      "  case $prev in\n"
      "    " +
      case_pattern(value_options) +
      ") COMPREPLY=($(compgen -d -- \"$cur\")); return 0 ;;\n"
      "    " +
      case_pattern(other_values) +
      ") COMPREPLY=(); return 0 ;;\n"
      "  esac\n"
      "  local words\n"
      "  case $verb in\n"
      "    '') words=" +
      sh_quoted(verbs + " " + global) + " ;;\n";
  for (const VerbSpec& verb : spec.verbs) {
    std::string words = joined(option_names(options_after(verb, spec), Values::any), " ");
    script += "    " + sh_quoted(verb.name) + ")\n";
    if (verb.passes_rest) {
      script +=
          "      if [ \"$arguments\" -gt 0 ]; then COMPREPLY=($(compgen -f -- \"$cur\")); "
          "return 0; fi\n";
    }
    if (has_positional(verb, "verb")) {
      script += "      if [ \"$arguments\" -eq 0 ]; then words=" + sh_quoted(verbs) +
                "; else words=''; fi\n      words=\"$words \"" + sh_quoted(words) + " ;;\n";
    } else {
      script += "      words=" + sh_quoted(words) + " ;;\n";
    }
  }
  script +=
      "    *) words='' ;;\n"
      "  esac\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "}\n"
      "complete -F _vq_admin vq-admin\n";
  return script;
}

std::string zsh_completion(const CommandLineSpec& spec) {
  std::vector<std::string> global = zsh_option_specs(spec.options);
  std::string script =
      "#compdef vq-admin\n# zsh completion for vq-admin: its verbs and options.\n# ";
  script += k_generated_note;
  script +=
      "_vq-admin() {\n"
      "  local curcontext=$curcontext state line\n"
      "  local -a verbs\n"
      "  verbs=(\n";
  for (const VerbSpec& verb : spec.verbs) {
    script += "    " + sh_quoted(zsh_escaped(verb.name) + ":" + verb.description) + "\n";
  }
  script +=
      "  )\n"
      "  _arguments -C \\\n    " +
      joined(global, " \\\n    ") +
      " \\\n    '1:verb:->verb' \\\n    '*::argument:->argument'\n"
      "  case $state in\n"
      "    verb) _describe -t verbs 'vq-admin verb' verbs ;;\n"
      "    argument)\n"
      "      curcontext=${curcontext%:*:*}:vq-admin-$words[1]:\n"
      "      case $words[1] in\n";
  for (const VerbSpec& verb : spec.verbs) {
    std::vector<std::string> specs = zsh_option_specs(options_after(verb, spec));
    if (has_positional(verb, "verb")) specs.push_back("'1:verb:->verb'");
    if (verb.passes_rest) specs.insert(specs.end(), {"'1:argument: '", "'*::argument:_files'"});
    script += "        " + sh_quoted(verb.name) + ")\n          _arguments " +
              joined(specs, " \\\n            ") +
              "\n"
              "          [[ $state == verb ]] && _describe -t verbs 'vq-admin verb' verbs ;;\n";
  }
  script +=
      "      esac ;;\n"
      "  esac\n"
      "}\n"
      "# Autoloaded from fpath (compinit), the file is the function's body; sourced, it "
      "registers it.\n"
      "if [ \"$funcstack[1]\" = \"_vq-admin\" ]; then\n"
      "  _vq-admin \"$@\"\n"
      "else\n"
      "  compdef _vq-admin vq-admin\n"
      "fi\n";
  return script;
}

std::string fish_completion(const CommandLineSpec& spec) {
  std::string verbs = joined(verb_names(spec), " ");
  std::string no_verb_yet = "not __fish_seen_subcommand_from " + verbs;
  std::string script = "# fish completion for vq-admin: its verbs and options.\n# ";
  script += k_generated_note;
  script += "complete -c vq-admin -f\n";
  for (const VerbSpec& verb : spec.verbs) {
    script += "complete -c vq-admin -n " + fish_quoted(no_verb_yet) + " -a " +
              fish_quoted(verb.name) + " -d " + fish_quoted(verb.description) + "\n";
  }
  // vq-admin's own options: anywhere when no verb has one of the same name (--queue-dir), else
  // only before the verb (--help: after it, the verb's own).
  for (const OptionSpec& option : spec.options) {
    if (!is_option(option)) continue;
    bool shadowed = std::any_of(spec.verbs.begin(), spec.verbs.end(), [&](const VerbSpec& verb) {
      std::vector<std::string> own = option_names(verb.options, Values::any);
      return std::find(own.begin(), own.end(), option.names.front()) != own.end();
    });
    script += fish_option_lines({option}, shadowed ? no_verb_yet : "");
  }
  for (const VerbSpec& verb : spec.verbs) {
    std::string seen = "__fish_seen_subcommand_from " + verb.name;
    script += fish_option_lines(verb.options, seen);
    if (has_positional(verb, "verb")) {
      script +=
          "complete -c vq-admin -n " + fish_quoted(seen) + " -x -a " + fish_quoted(verbs) + "\n";
    }
    if (verb.passes_rest) script += "complete -c vq-admin -n " + fish_quoted(seen) + " -F\n";
  }
  return script;
}

std::optional<std::string> completion_for(const std::string& shell, const CommandLineSpec& spec) {
  if (shell == "bash") return bash_completion(spec);
  if (shell == "zsh") return zsh_completion(spec);
  if (shell == "fish") return fish_completion(spec);
  return std::nullopt;
}

int completions_main(int argc, char** argv) {
  std::optional<std::string> script;
  if (argc == 2 || argc == 3) script = completion_for(argv[1], command_line_spec());
  if (!script) {
    std::fputs(
        "vq-admin-completions: error: expected bash, zsh or fish, and optionally the file "
        "to write — e.g. vq-admin-completions bash vq-admin\n",
        stderr);
    return k_exit_usage;
  }
  std::ofstream file;
  if (argc == 3) file.open(argv[2], std::ios::trunc);
  std::ostream& out = argc == 3 ? file : std::cout;
  out << *script;
  out.flush();
  if (!out) {
    std::fprintf(stderr, "vq-admin-completions: error: cannot write %s — check the directory\n",
                 argc == 3 ? argv[2] : "stdout");
    return k_exit_unavailable;
  }
  return k_exit_ok;
}

}  // namespace vq::admin
