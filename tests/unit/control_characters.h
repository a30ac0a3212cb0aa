// What a terminal would act on in a text: the check behind every "nothing raw reaches a
// terminal" test, written apart from display_text's own rules.
#pragma once

#include <cstddef>
#include <string_view>

namespace vq::test {

// C0 controls other than the newline ending a line, DEL, C1 controls (raw bytes 0x80–0x9F that
// do not continue a UTF-8 character, or U+0080–U+009F encoded), and any byte above 0x7F that is
// not inside a well-formed-looking UTF-8 character. ESC is counted, so colours must be off.
inline int control_characters(std::string_view text) {
  int found = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\n') || byte == 0x7F) {
      ++found;
    } else if (byte >= 0x80) {
      std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 ? 2 : 0;
      bool whole = length > 0 && i + length <= text.size();
      for (std::size_t k = 1; whole && k < length; ++k) {
        whole = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
      }
      if (!whole || byte > 0xF4 ||
          (byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0)) {
        ++found;
      }
      if (whole) i += length - 1;
    }
  }
  return found;
}

}  // namespace vq::test
