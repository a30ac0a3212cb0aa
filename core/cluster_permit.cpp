#include "cluster_permit.h"

namespace vq {

std::string_view permit_name(PermitState state) {
  switch (state) {
    case PermitState::none:
      return "";
    case PermitState::held:
      return "held";
    case PermitState::lost:
      return "lost";
    case PermitState::local_only:
      return "local-only";
  }
  return "";
}

PermitState permit_from_number(int number) {
  if (number < 0 || number > static_cast<int>(PermitState::local_only)) return PermitState::none;
  return static_cast<PermitState>(number);
}

}  // namespace vq
