// Running the real vq-admin binary against a test's queue, next to shim processes started by
// the multi-process harness.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process_harness.h"

namespace vq::mp {

std::string admin_path();

struct AdminResult {
  int status = -1;  // exit status; -1 when it did not exit normally
  std::string out;
  std::string err;
};

// Runs `launch` (a vq-admin launch) to its end: exit status and both outputs.
AdminResult run_admin(const Launch& launch);

class AdminTest : public ShimTest {
 protected:
  // vq-admin with the test's queue (VQ_QUEUE_DIR), the fake as real vitest, and `overrides`.
  Launch admin_launch(const std::vector<std::string>& args, const Env& overrides = {}) const;
  // Runs vq-admin to completion (bounded by the hang deadline).
  AdminResult admin(const std::vector<std::string>& args, const Env& overrides = {}) const;
  // `status --json`, parsed; fails the test when it is not JSON.
  nlohmann::json status_json() const;

 private:
  mutable int m_runs = 0;
};

}  // namespace vq::mp
