// Would the kernel run this file? The preload only redirects an exec that would succeed, so a
// launch that fails (no execute permission, not an executable format, a missing interpreter)
// fails exactly as it would have, with its own error, in the caller.
#pragma once

namespace vq::preload {

// A regular file we may execute that is an ELF image, or a "#!" script whose interpreter is a
// regular file we may execute. Heap-free; uses open/read/stat/access only.
bool kernel_would_exec(const char* path);

}  // namespace vq::preload
