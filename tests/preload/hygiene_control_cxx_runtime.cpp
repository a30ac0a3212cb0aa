// A control the hygiene check must reject: exactly the nine hooks, but it needs libstdc++.
#include <new>

#include "hygiene_control_hooks.h"

namespace {
// operator new lives in libstdc++.
__attribute__((used)) int* g_allocated = new int(1);
}  // namespace
