// Text that came from a slot record, a user or another group member, made safe to show.
//
// Records hold bytes another process wrote (in group mode: another user): a directory name, a
// command line, an agent id. Written raw to a terminal, an ESC or a C1 control could retitle
// the window or clear the screen, and a newline could forge whole lines of status or log; bytes
// that are not UTF-8 make a JSON encoder throw. Everything shown passes through here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vq {

// Length in bytes of a UTF-8 sequence starting at text[at] that is valid (shortest form, no
// surrogates, at most U+10FFFF); 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

// For terminals and the log. Every control character — C0 (U+0000–U+001F), DEL, C1 as a raw
// byte or as UTF-8 U+0080–U+009F — and every byte that is not part of valid UTF-8 is written
// as an escape: `\t`, `\n`, `\r`, and `\xHH` for each byte of anything else (ESC is `\x1b`,
// U+0085 is `\xc2\x85`). Other text, backslashes included, is kept. The result is valid UTF-8
// without control characters, and display_text of it is itself.
std::string display_text(std::string_view text);

// For JSON: valid UTF-8 is kept exactly (the encoder escapes its control characters); each
// byte that is not part of valid UTF-8 becomes the four characters `\xHH`, so the encoder never
// meets invalid UTF-8 and distinct bytes stay distinct.
std::string json_text(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// character, so that cutting valid UTF-8 leaves it valid. A cut inside bytes that are not
// UTF-8 anyway stays at `max_bytes`.
inline std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  if ((byte(max_bytes) & 0xC0) != 0x80) return max_bytes;  // the first byte dropped starts one
  // A character is at most 4 bytes: its first byte is at most 3 before the first one dropped.
  for (std::size_t back = 1; back <= 3 && back <= max_bytes; ++back) {
    unsigned char first = byte(max_bytes - back);
    if ((first & 0xC0) == 0x80) continue;
    std::size_t length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1;
    return length > back ? max_bytes - back : max_bytes;
  }
  return max_bytes;
}

}  // namespace vq
