#pragma once
// String helpers used across modules.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sm::util {

std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
std::string to_lower(std::string_view text);
// The last n lines of text (without a trailing newline).
std::string last_lines(std::string_view text, size_t n);
// Prefixes every line of text with prefix.
std::string indent(std::string_view text, std::string_view prefix);
// Lowercase hexadecimal of bytes.
std::string to_hex(std::string_view bytes);

// "512 B", "35.6 kB", "1.1 GB" (powers of 1024).
std::string human_bytes(int64_t bytes);
// Edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest word (the first of equals) within max_distance edits and
// fewer edits than word has characters, or "" when none is that close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates,
                    size_t max_distance = 2);
// Renders a fixed-width table: a header row, then rows; columns padded with spaces.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

}  // namespace sm::util

namespace sm::util {
// Byte offset of the first byte that is not part of valid UTF-8, or npos when
// text is valid UTF-8 (overlong forms and surrogates count as invalid).
size_t first_invalid_utf8(std::string_view text);

// text with each byte that starts no valid UTF-8 sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

// The longest cut of text at most limit bytes long that does not split a
// UTF-8 character: limit moved back over continuation bytes (text.size()
// when it is shorter).
size_t utf8_cut(std::string_view text, size_t limit);

// 1-based line number of byte offset in text.
int line_of_offset(std::string_view text, size_t offset);
// Moves a 1-based line and column (columns count UTF-8 characters) from byte
// from to byte to of text. Walking forward piece by piece keeps the total work
// linear in the text's size.
void advance_position(std::string_view text, size_t from, size_t to, int& line, int& column);
}  // namespace sm::util
