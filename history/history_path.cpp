#include "history_path.h"

#include "history_store.h"
#include "queue_dir.h"

namespace vq::history {
namespace {

Result<std::string> private_place(const Config& config) {
  if (config.state_home.empty()) {
    return Error::of_kind(ErrorKind::bad_config,
                          "no place for the run history: neither XDG_STATE_HOME nor HOME is an "
                          "absolute path — set HOME, or VQ_HISTORY to a database file");
  }
  std::string dir = config.state_home + "/vq";
  auto opened = QueueDir::open(dir);
  if (!opened) {
    return Error{"cannot use the history directory " + dir + ": " + opened.error().message +
                 " — fix it, or set VQ_HISTORY to a database file elsewhere"};
  }
  return opened->file(k_history_file);
}

}  // namespace

Result<HistoryPlace> history_place(const Config& config) {
  if (!config.history.empty()) return HistoryPlace{config.history, ""};
  std::string warning;
  if (config.group) {
    std::string dir = k_group_history_dir_prefix + std::to_string(*config.group);
    auto opened = QueueDir::open(dir, config.group);
    if (opened) return HistoryPlace{opened->file(k_history_file), ""};
    warning = "the group's history directory " + dir + " cannot be used (" +
              opened.error().message + "); keeping this user's runs in the private history";
  }
  VQ_TRY_ASSIGN(path, private_place(config));
  return HistoryPlace{*path, warning};
}

Result<std::string> history_path(const Config& config) {
  VQ_TRY_ASSIGN(place, history_place(config));
  return place->path;
}

}  // namespace vq::history
