// Where the installed pieces are, found from this executable: P/bin/vq-admin beside
// P/lib/vq/shims/vitest and P/lib/vq/libvq-preload.so. A build-tree vq-admin falls back to the
// build tree's shim.
#pragma once

#include <string>

namespace vq::admin {

inline constexpr const char* k_preload_name = "libvq-preload.so";

// The directory holding the running executable (/proc/self/exe), without a trailing slash.
std::string executable_dir();

// PREFIX/<relative> for this installation (PREFIX is the parent of the executable's directory).
std::string below_prefix(const std::string& relative);

// The installed shim if it exists, else the build tree's; empty when neither exists.
std::string shim_path();

// P/lib/vq/libvq-preload.so for this installation, whether it exists or not.
std::string preload_path();

}  // namespace vq::admin
