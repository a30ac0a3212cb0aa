#include "preload_redirect.h"

#include <charconv>

namespace vq {

Result<PreloadRedirect> parse_preload_redirect(const std::string& value, int argc) {
  auto bad = [&](const std::string& why) {
    return Error{"VQ_REDIRECT=" + value + " is not valid: " + why +
                 " (it is set by libvq-preload.so for the shim; unset it)"};
  };
  auto colon = value.find(':');
  if (colon == std::string::npos) return bad("expected <index>:<path>");
  PreloadRedirect redirect;
  const char* begin = value.data();
  auto [end, ec] = std::from_chars(begin, begin + colon, redirect.first_vitest_arg);
  if (ec != std::errc{} || end != begin + colon) return bad("the index is not a number");
  if (redirect.first_vitest_arg < 1 || redirect.first_vitest_arg > argc) {
    return bad("the index is outside the " + std::to_string(argc) + " arguments");
  }
  redirect.target = value.substr(colon + 1);
  if (redirect.target.empty()) return bad("the path is empty");
  return redirect;
}

}  // namespace vq
