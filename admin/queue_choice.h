// Which queue a vq-admin verb works on, and how it is opened: `--queue-dir` wins over
// VQ_QUEUE_DIR, which wins over the default, and both are held to one rule (an absolute path),
// so a bad value is the same configuration error whichever way it was given.
#pragma once

#include <chrono>
#include <string>

#include "config.h"
#include "queue_store.h"
#include "result.h"

namespace vq::admin {

// The shim's settings from `env`, with `queue_dir_option` (empty: not given) as the queue
// directory. A bad value names where it came from: `--queue-dir x` or `VQ_QUEUE_DIR=x`.
Result<Config> load_admin_config(const EnvLookup& env, const std::string& queue_dir_option);

// The queue as it is, for verbs that report: its table is neither initialised nor repaired.
Result<QueueStore> attach_queue(const Config& config);

// For verbs that steer: a queue no run has used yet (blank table) is created as the shim
// would create it, seeded with `seed_limit`; `created` says it was found blank and is now
// initialised. Any other table is left as found (a damaged one is for `vq-admin reset`).
Result<QueueStore> attach_or_create_queue(const Config& config, int seed_limit,
                                          std::chrono::milliseconds lock_wait, bool& created);

}  // namespace vq::admin
