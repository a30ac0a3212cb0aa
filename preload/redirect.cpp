#include "redirect.h"

#include <strings.h>
#include <unistd.h>

#include "bounded_text.h"
#include "exec_image.h"

namespace vq::preload {
bool is_true(const char* value) {
  if (value == nullptr) return false;
  constexpr const char* k_true[] = {"1", "true", "yes", "on"};
  for (const char* yes : k_true) {
    if (::strcasecmp(value, yes) == 0) return true;
  }
  return false;
}

const char* env_value(char* const envp[], const char* name) {
  if (envp == nullptr) return nullptr;
  std::size_t length = std::strlen(name);
  for (char* const* entry = envp; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') {
      return *entry + length + 1;
    }
  }
  return nullptr;
}

bool names_pid(const char* value, long pid) {
  if (value == nullptr || *value == '\0' || pid <= 0) return false;
  long parsed = 0;
  for (const char* p = value; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9' || parsed > 100000000L) return false;
    parsed = parsed * 10 + (*p - '0');
  }
  return parsed == pid;
}

Decision decide(const char* program, char* const argv[], char* const envp[], long self,
                const char* shim, MatchBuffers& buffers) {
  Decision decision;
  decision.match = match_launch(program, argv, buffers);
  if (decision.match.kind == LaunchKind::none) return decision;
  // A target the kernel would not run comes first: shells and libuv try every PATH entry in
  // turn, and those misses are nobody's launch.
  if (!kernel_would_exec(program)) {
    decision.verdict = Verdict::missing;
  } else if (names_pid(env_value(envp, k_routed_variable), self)) {
    decision.verdict = Verdict::routed;
  } else if (is_true(env_value(envp, "VQ_DISABLE"))) {
    decision.verdict = Verdict::disabled;
  } else if (shim == nullptr || shim[0] == '\0' || ::access(shim, X_OK) != 0) {
    decision.verdict = Verdict::no_shim;
  } else {
    decision.verdict = Verdict::redirect;
  }
  return decision;
}

bool format_redirect(int first_vitest_arg, const char* target, char* out, std::size_t capacity) {
  if (capacity == 0 || first_vitest_arg < 0) return false;
  char digits[16];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + first_vitest_arg % 10);
    first_vitest_arg /= 10;
  } while (first_vitest_arg > 0 && count < 15);
  out[0] = '\0';
  if (!append(out, capacity, k_redirect_variable) || !append(out, capacity, "=")) return false;
  while (count > 0) {
    if (!append(out, capacity, &digits[--count], 1)) return false;
  }
  return append(out, capacity, ":") && append(out, capacity, target);
}

bool environment_with(char* const envp[], const char* extra, char** out, std::size_t capacity) {
  std::size_t used = 0;
  std::size_t name_length = std::strlen(k_redirect_variable);
  if (envp != nullptr) {
    for (char* const* entry = envp; *entry != nullptr; ++entry) {
      if (std::strncmp(*entry, k_redirect_variable, name_length) == 0 &&
          (*entry)[name_length] == '=') {
        continue;
      }
      if (used + 2 >= capacity) return false;
      out[used++] = *entry;
    }
  }
  if (used + 2 > capacity) return false;
  out[used++] = const_cast<char*>(extra);
  out[used] = nullptr;
  return true;
}

bool shim_beside(const char* library_path, char* out, std::size_t capacity) {
  const char* slash = std::strrchr(library_path, '/');
  if (slash == nullptr || capacity == 0) return false;
  out[0] = '\0';
  return append(out, capacity, library_path, static_cast<std::size_t>(slash - library_path)) &&
         append(out, capacity, "/shims/vitest");
}

bool shim_from_preload_list(const char* preload, char* out, std::size_t capacity) {
  if (preload == nullptr) return false;
  constexpr char name[] = "/libvq-preload.so";
  const char* entry = preload;
  while (*entry != '\0') {
    const char* end = entry;
    while (*end != '\0' && *end != ':' && *end != ' ') ++end;
    std::size_t length = static_cast<std::size_t>(end - entry);
    if (entry[0] == '/' && length >= sizeof name - 1 && length < k_path_capacity &&
        std::memcmp(end - (sizeof name - 1), name, sizeof name - 1) == 0) {
      char library[k_path_capacity];
      std::memcpy(library, entry, length);
      library[length] = '\0';
      return shim_beside(library, out, capacity);
    }
    entry = *end == '\0' ? end : end + 1;
  }
  return false;
}

}  // namespace vq::preload
