// vq loads no SQLite extensions. SQLite's Unix layer still refers to dlopen, and in the static
// executables (vq-admin) glibc's static dlopen would need the shared glibc it was built with at
// run time. Linked with --wrap=dlopen, SQLite's calls come here: extension loading fails
// cleanly ("not available"), and the static libc's dlopen is never linked in.
#include <cstddef>

extern "C" void* __wrap_dlopen(const char* /*file*/, int /*mode*/) {
  return nullptr;
}
