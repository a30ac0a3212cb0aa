// The dashboard's controls as a table: each row a POST /api/control/<name> with its integer
// parameters and its action. The page draws its buttons from this table (GET /api/controls),
// so a new control is one row where the table is filled (admin/serve_controls.cpp).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "result.h"

namespace vq::dashboard {

// Who asked for an action, as the queue's event log records it.
struct Actor {
  std::string token_id;           // the id of the token presented (not the token)
  uid_t uid = 0;                  // the server's user (TCP clients have no uid to ask for)
  std::optional<uid_t> peer_uid;  // the client's, on a Unix socket (SO_PEERCRED)
  std::string peer;               // the client's address
  // "by=dashboard uid=1000 token=3fa2c1d0 peer=127.0.0.1:40312"
  std::string describe() const;
};

struct Control {
  enum class Target { queue, waiter };  // a button in the header, or one per waiter row
  std::string name;                     // POST /api/control/<name>
  std::string title;                    // the button's label
  Target target = Target::queue;
  std::vector<std::string> params;  // whole-number fields of the JSON body ("limit", "pid")
  // Returns the message to show, or an error whose kind decides the HTTP status.
  std::function<Result<std::string>(const std::map<std::string, long>& args, const Actor& actor)>
      act;
};

// GET /api/controls: the table without its actions, and whether controls are refused.
nlohmann::ordered_json describe_controls(const std::vector<Control>& controls, bool read_only);

}  // namespace vq::dashboard
