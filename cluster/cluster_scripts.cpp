#include "cluster_scripts.h"

#include <algorithm>

namespace vq::cluster {

Result<Reply> run_script(RedisConnection& connection, std::string_view name,
                         const std::string& prefix, const std::vector<std::string>& args) {
  const auto& sources = script_sources();
  auto source = std::find_if(sources.begin(), sources.end(),
                             [&](const ScriptSource& s) { return s.name == name; });
  if (source == sources.end()) {
    return Error{"vq: internal: no cluster script named " + std::string(name)};
  }
  std::vector<std::string> argv{"EVALSHA", std::string(source->sha1), "1", prefix};
  argv.insert(argv.end(), args.begin(), args.end());
  VQ_TRY_ASSIGN(reply, connection.command(argv));
  if (reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    argv[0] = "EVAL";
    argv[1] = std::string(source->body);
    VQ_TRY_ASSIGN(again, connection.command(argv));
    reply = std::move(again);
  }
  if (reply->is_error()) {
    return Error{"VQ_CLUSTER: the server refused vq's " + std::string(name) + " script (" +
                 reply->text + ") — give the user the commands docs/SECURITY.md lists"};
  }
  return std::move(*reply);
}

}  // namespace vq::cluster
