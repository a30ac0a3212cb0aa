#include "doctor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "cluster_checks.h"
#include "history_path.h"
#include "history_store.h"
#include "queue_choice.h"
#include "queue_store.h"
#include "real_vitest.h"
#include "single_worker.h"

namespace vq::admin {
namespace {

std::string env_or_empty(const EnvLookup& env, const char* name) {
  const char* value = env(name);
  return value != nullptr ? value : "";
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// An unwired shell is fixed for good by vq-install's wiring; the export only helps this shell.
std::string for_every_shell(const DoctorInputs& in) {
  return "   (this shell; for every new shell run " +
         (in.installer.empty() ? std::string("install/vq-install from a vq checkout")
                               : in.installer) +
         ")";
}

// The shim must be the first `vitest` found on PATH, compared by (device, inode): a symlink or
// a second copy of the same file counts, another vitest does not.
DoctorCheck check_path(const DoctorInputs& in) {
  DoctorCheck check{"PATH", true, "", ""};
  if (in.shim.empty()) {
    check.ok = false;
    check.found = "the vitest shim is not installed beside vq-admin";
    check.fix = "reinstall: install/vq-install";
    return check;
  }
  std::string shim_dir = directory_of(in.shim);
  auto shim = file_identity(in.shim);
  std::string first;
  for (const std::string& dir : split(env_or_empty(in.env, "PATH"), ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/vitest";
    if (::access(candidate.c_str(), X_OK) == 0) {
      first = candidate;
      break;
    }
  }
  auto first_identity = first.empty() ? std::nullopt : file_identity(first);
  if (shim && first_identity && *shim == *first_identity) {
    check.found = "the vq shim is the first vitest on PATH (" + first + ")";
    return check;
  }
  check.ok = false;
  check.found = first.empty() ? "no vitest on PATH, so the vq shim is not on it"
                              : "the first vitest on PATH is " + first + ", not the vq shim";
  check.fix = "export PATH=\"" + shim_dir + ":$PATH\"" + for_every_shell(in);
  return check;
}

DoctorCheck check_preload(const DoctorInputs& in) {
  DoctorCheck check{"preload", true, "", ""};
  std::string listed;
  for (const std::string& entry : split(env_or_empty(in.env, "LD_PRELOAD"), ':')) {
    for (const std::string& word : split(entry, ' ')) {
      if (word.size() >= 16 && word.ends_with("libvq-preload.so")) listed = word;
    }
  }
  std::string fix_line =
      "export LD_PRELOAD=\"" + in.preload + "${LD_PRELOAD:+:$LD_PRELOAD}\"" + for_every_shell(in);
  // The scripts wiring (vq-install --wiring scripts) needs no preload: say which wiring is on.
  const std::string script_shell = env_or_empty(in.env, "npm_config_script_shell");
  const bool scripts = script_shell.ends_with("/vq-script-shell");
  if (listed.empty() && scripts) {
    check.found = "wiring scripts (no LD_PRELOAD): npm/pnpm/yarn scripts and npx go through " +
                  script_shell +
                  "; pnpm exec, pnpm vitest and node node_modules/.bin/vitest do not";
    return check;
  }
  if (listed.empty()) {
    check.ok = false;
    check.found =
        "LD_PRELOAD does not name libvq-preload.so: pnpm test, npm test and npx vitest"
        " bypass the queue";
    check.fix = ::access(in.preload.c_str(), R_OK) == 0
                    ? fix_line
                    : "install the preload library (install/vq-install), then " + fix_line;
    return check;
  }
  if (::access(listed.c_str(), R_OK) != 0) {
    check.ok = false;
    check.found = "LD_PRELOAD names " + listed + ", which does not exist";
    check.fix = ::access(in.preload.c_str(), R_OK) == 0
                    ? fix_line
                    : "reinstall (install/vq-install), then " + fix_line;
    return check;
  }
  check.found =
      std::string(scripts ? "active (wiring both): " : "active (wiring preload): ") + listed;
  return check;
}

DoctorCheck check_real_vitest(const DoctorInputs& in) {
  DoctorCheck check{"vitest", true, "", ""};
  RealVitestQuery query;
  query.override_path = env_or_empty(in.env, "VQ_REAL_VITEST");
  query.cwd = in.cwd;
  query.path_variable = env_or_empty(in.env, "PATH");
  if (auto shim = in.shim.empty() ? std::nullopt : file_identity(in.shim)) query.self = *shim;
  RealVitest real = find_real_vitest(query);
  switch (real.outcome) {
    case RealVitest::Outcome::found: {
      auto version = detect_vitest_version(real.path);
      check.found =
          "here the shim would run " + real.path +
          (version ? " (vitest " + std::to_string(version->major) + "." +
                         std::to_string(version->minor) + "." + std::to_string(version->patch) + ")"
                   : " (version unknown: only the environment forces one worker)");
      return check;
    }
    case RealVitest::Outcome::not_found:
      // A vitest launched here would fail (exit 127), so it is a problem for this directory.
      check.ok = false;
      check.found = "the shim would find no real vitest from " + in.cwd + " (" + real.reason + ")";
      check.fix =
          "run doctor in a project with vitest installed (npm install --save-dev vitest), or "
          "set VQ_REAL_VITEST to the real vitest";
      return check;
    case RealVitest::Outcome::not_executable:
      check.ok = false;
      check.found = real.reason;
      check.fix = "make it executable, or set VQ_REAL_VITEST to the real vitest";
      return check;
    case RealVitest::Outcome::loop:
      check.ok = false;
      check.found = real.reason;
      check.fix = "set VQ_REAL_VITEST to the real vitest";
      return check;
  }
  return check;
}

DoctorCheck check_queue(const DoctorInputs& in) {
  DoctorCheck check{"queue", true, "", ""};
  auto config = load_admin_config(in.env, in.queue_dir);
  if (!config) {
    check.ok = false;
    check.found = config.error().message;
    check.fix = check.found.starts_with("--queue-dir") ? "give --queue-dir an absolute path"
                                                       : "fix or unset that variable";
    return check;
  }
  std::string path = queue_dir_path(*config);
  auto queue = attach_queue(*config);
  if (!queue) {
    check.ok = false;
    check.found = queue.error().message;
    check.fix = "fix the queue directory as said, or set VQ_QUEUE_DIR to another absolute path";
    return check;
  }
  auto pass = queue->update(std::chrono::milliseconds(2000));
  if (!pass) {
    check.ok = false;
    check.found = pass.error().message;
    check.fix = "continue or end that process (kill -CONT / kill), then run doctor again";
    return check;
  }
  HeaderCheck table = pass->header_check();
  if (table == HeaderCheck::valid || table == HeaderCheck::blank) {
    check.found =
        path + " is sound (table " + std::string(describe(table)) +
        (table == HeaderCheck::valid ? ", limit " + std::to_string(pass->header().limit) : "") +
        ")";
    return check;
  }
  check.ok = false;
  check.found = "slot table of " + path + " is " + std::string(describe(table));
  check.fix = "vq-admin reset";
  return check;
}

// The run history: where it is, and whether it can be opened (opening moves an unreadable file
// aside, as a writer would, and says so here).
DoctorCheck check_history(const DoctorInputs& in) {
  DoctorCheck check{"history", true, "", ""};
  auto config = load_config(in.env);
  auto place =
      config ? history::history_place(*config) : Result<history::HistoryPlace>(config.error());
  if (!place) {
    check.ok = false;
    check.found = "no place for the run history: " + place.error().message;
    check.fix = "set HOME, or VQ_HISTORY to a database file";
    return check;
  }
  struct stat file {};
  if (::lstat(place->path.c_str(), &file) != 0) {
    check.found = "no run recorded yet; runs are recorded in " + place->path;
  } else if (auto store = history::HistoryStore::open(place->path); !store) {
    check.ok = false;
    check.found = store.error().message;
    check.fix = "fix the file, or set VQ_HISTORY to another one";
    return check;
  } else {
    check.found =
        store->warning().empty() ? "runs are recorded in " + place->path : store->warning();
  }
  if (!place->warning.empty()) {
    check.ok = false;
    check.found = place->warning;
    check.fix = "fix or remove that directory (see docs/HISTORY.md), or set VQ_HISTORY";
  }
  return check;
}

}  // namespace

std::vector<DoctorCheck> run_doctor(const DoctorInputs& inputs) {
  std::vector<DoctorCheck> checks{check_path(inputs), check_preload(inputs),
                                  check_real_vitest(inputs), check_queue(inputs),
                                  check_history(inputs)};
  for (auto& check : cluster_checks(inputs.env)) checks.push_back(std::move(check));
  return checks;
}

std::string render_doctor(const std::vector<DoctorCheck>& checks, bool colour) {
  std::string out;
  int problems = 0;
  auto paint = [&](const char* code, const std::string& text) {
    return colour ? "\x1b[" + std::string(code) + "m" + text + "\x1b[0m" : text;
  };
  for (const DoctorCheck& check : checks) {
    std::string name = check.name;
    name.resize(8, ' ');
    out +=
        (check.ok ? paint("32", "ok  ") : paint("31", "FAIL")) + "  " + name + check.found + "\n";
    if (!check.ok) {
      ++problems;
      out += "            fix: " + check.fix + "\n";
    }
  }
  out += problems == 0
             ? "No problems found.\n"
             : std::to_string(problems) + (problems == 1 ? " problem" : " problems") + " found.\n";
  return out;
}

}  // namespace vq::admin
