#include "display_text.h"

namespace vq {
namespace {

void append_hex_byte(std::string& out, unsigned char byte) {
  constexpr const char* k_digits = "0123456789abcdef";
  out += "\\x";
  out += k_digits[byte >> 4];
  out += k_digits[byte & 0x0F];
}

bool is_continuation(std::string_view text, std::size_t at) {
  return at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80;
}

// The range the second byte of a sequence must lie in, given its first (RFC 3629 table):
// narrower after E0, ED, F0 and F4, which excludes overlong forms, surrogates and > U+10FFFF.
bool second_byte_fits(unsigned char first, unsigned char second) {
  if (first == 0xE0) return second >= 0xA0;
  if (first == 0xED) return second <= 0x9F;
  if (first == 0xF0) return second >= 0x90;
  if (first == 0xF4) return second <= 0x8F;
  return true;
}

// Each character of `text` in turn: `keep` decides whether a valid one is copied; anything
// else is written as escapes.
template <typename Keep>
std::string escape(std::string_view text, Keep keep) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    std::size_t length = utf8_sequence_length(text, at);
    std::string_view character = text.substr(at, length == 0 ? 1 : length);
    if (length > 0 && keep(character)) {
      out += character;
    } else if (character == "\n") {
      out += "\\n";
    } else if (character == "\t") {
      out += "\\t";
    } else if (character == "\r") {
      out += "\\r";
    } else {
      for (char c : character) append_hex_byte(out, static_cast<unsigned char>(c));
    }
    at += character.size();
  }
  return out;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  auto first = static_cast<unsigned char>(text[at]);
  std::size_t length = first < 0x80   ? 1
                       : first < 0xC2 ? 0
                       : first < 0xE0 ? 2
                       : first < 0xF0 ? 3
                       : first < 0xF5 ? 4
                                      : 0;
  if (length <= 1) return length;
  if (at + 1 >= text.size() || !second_byte_fits(first, static_cast<unsigned char>(text[at + 1]))) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (!is_continuation(text, at + i)) return 0;
  }
  return length;
}

std::string display_text(std::string_view text) {
  return escape(text, [](std::string_view character) {
    auto first = static_cast<unsigned char>(character[0]);
    if (character.size() == 1) return first >= 0x20 && first != 0x7F;
    // U+0080–U+009F, the C1 controls, are C2 80 – C2 9F in UTF-8.
    return !(first == 0xC2 && static_cast<unsigned char>(character[1]) <= 0x9F);
  });
}

std::string json_text(std::string_view text) {
  return escape(text, [](std::string_view) { return true; });
}

}  // namespace vq
