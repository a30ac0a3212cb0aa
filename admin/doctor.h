// `vq-admin doctor`: is vq wired up for this shell and this directory? Each check says what it
// found and, when something is wrong, the command that fixes it.
#pragma once

#include <string>
#include <vector>

#include "config.h"

namespace vq::admin {

struct DoctorCheck {
  std::string name;  // "PATH", "preload", "vitest", "queue"
  bool ok = true;
  std::string found;  // what was found, one line
  std::string fix;    // when not ok: what to do, one line
};

struct DoctorInputs {
  EnvLookup env;
  std::string cwd;
  std::string shim;       // this installation's shim; empty when it is not installed
  std::string preload;    // this installation's preload library path
  std::string queue_dir;  // --queue-dir; empty: VQ_QUEUE_DIR, else the default
  std::string installer;  // this installation's vq-install; empty when there is none
};

std::vector<DoctorCheck> run_doctor(const DoctorInputs& inputs);

// "ok    PATH  ..." lines, then a summary; problems end in a "fix:" line.
std::string render_doctor(const std::vector<DoctorCheck>& checks, bool colour);

}  // namespace vq::admin
