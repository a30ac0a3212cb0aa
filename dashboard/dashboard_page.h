// The dashboard's one page (page/index.html), compiled into the binary at build time: no
// CDN, nothing to install beside vq-admin, works offline.
#pragma once

#include <string_view>

namespace vq::dashboard {

std::string_view dashboard_page();

}  // namespace vq::dashboard
