#include "queue_choice.h"

#include <string_view>

#include "queue_dir.h"

namespace vq::admin {

Result<Config> load_admin_config(const EnvLookup& env, const std::string& queue_dir_option) {
  if (queue_dir_option.empty()) return load_config(env);
  // The rule and wording of core/config's check of VQ_QUEUE_DIR, so both read alike.
  if (queue_dir_option[0] != '/') {
    return Error{"--queue-dir " + queue_dir_option + " is not valid: expected an absolute path"};
  }
  // The option replaces VQ_QUEUE_DIR, so a bad value there does not matter.
  EnvLookup without_queue_dir = [&env](const char* name) -> const char* {
    return std::string_view(name) == "VQ_QUEUE_DIR" ? nullptr : env(name);
  };
  auto config = load_config(without_queue_dir);
  if (config) config->queue_dir = queue_dir_option;
  return config;
}

Result<QueueStore> attach_queue(const Config& config) {
  return QueueStore::attach(queue_dir_path(config), config.log_level, config.group);
}

Result<QueueStore> attach_or_create_queue(const Config& config, int seed_limit,
                                          std::chrono::milliseconds lock_wait, bool& created) {
  created = false;
  auto queue = attach_queue(config);
  if (!queue) return queue;
  bool blank = false;
  {
    VQ_TRY_ASSIGN(pass, queue->update(lock_wait));
    blank = pass->header_check() == HeaderCheck::blank;
  }
  if (!blank) return queue;
  // QueueStore::open initialises a blank table under the update lock, as a first launch does; a
  // launch that got there first leaves it valid, and open then changes nothing.
  auto opened =
      QueueStore::open(queue_dir_path(config), seed_limit, config.log_level, config.group);
  if (opened) created = true;
  return opened;
}

}  // namespace vq::admin
