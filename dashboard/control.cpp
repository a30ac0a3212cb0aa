#include "control.h"

namespace vq::dashboard {

std::string Actor::describe() const {
  std::string text = "by=dashboard uid=" + std::to_string(uid) + " token=" + token_id;
  if (peer_uid) text += " peer_uid=" + std::to_string(*peer_uid);
  if (!peer.empty()) text += " peer=" + peer;
  return text;
}

nlohmann::ordered_json describe_controls(const std::vector<Control>& controls, bool read_only) {
  nlohmann::ordered_json out;
  out["read_only"] = read_only;
  out["controls"] = nlohmann::ordered_json::array();
  for (const Control& control : controls) {
    out["controls"].push_back(
        {{"name", control.name},
         {"title", control.title},
         {"target", control.target == Control::Target::queue ? "queue" : "waiter"},
         {"params", control.params}});
  }
  return out;
}

}  // namespace vq::dashboard
