// A NULL-terminated array of C strings (argv, envp) over owned copies of `words`, as the exec
// functions and the preload's logic take them.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace vq::test {

class CStrings {
 public:
  CStrings(std::initializer_list<std::string> words) : m_storage(words) {
    for (auto& word : m_storage) m_pointers.push_back(word.data());
    m_pointers.push_back(nullptr);
  }
  char* const* get() const { return m_pointers.data(); }

 private:
  std::vector<std::string> m_storage;
  std::vector<char*> m_pointers;
};

}  // namespace vq::test
