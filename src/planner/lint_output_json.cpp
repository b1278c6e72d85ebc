// One lint finding as JSON, written straight into the output string: the bytes
// rapidjson's Writer printed for it (keys in order, compact, control characters
// as \u00XX with upper-case hex), without a writer object or a copy per string.
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "planner/lint_render.hpp"
#include "util/strings.hpp"

namespace sm::planner {
namespace {

// What follows the backslash for a byte JSON escapes: 'u' for \u00XX; 0 when the
// byte is written as it is (bytes of 0x80 and above included).
constexpr std::array<char, 256> k_json_escape = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) {
        table[static_cast<size_t>(c)] = 'u';
    }
    table['\b'] = 'b';
    table['\t'] = 't';
    table['\n'] = 'n';
    table['\f'] = 'f';
    table['\r'] = 'r';
    table['"'] = '"';
    table['\\'] = '\\';
    return table;
}();

constexpr std::uint64_t k_ones = 0x0101010101010101ULL;
constexpr std::uint64_t k_high = 0x8080808080808080ULL;

// Whether one of the eight bytes of word is a control character, '"' or '\\'.
// Exact as a yes/no (the bit tricks only blur which byte it is).
bool word_needs_escape(std::uint64_t word) {
    auto has_zero = [](std::uint64_t v) { return (v - k_ones) & ~v & k_high; };
    std::uint64_t below_space = (word - k_ones * 0x20) & ~word & k_high;
    return (below_space | has_zero(word ^ (k_ones * '"')) | has_zero(word ^ (k_ones * '\\'))) != 0;
}

// Appends text's bytes escaped (no quotes); returns whether any byte is 0x80 or
// above (then the caller checks the text is UTF-8).
bool append_escaped(std::string_view text, std::string& out, const char* hex) {
    const char* s = text.data();
    size_t n = text.size();
    size_t copied = 0;
    std::uint64_t high = 0;
    for (size_t i = 0; i < n;) {
        if (i + 8 <= n) {
            std::uint64_t word = 0;
            std::memcpy(&word, s + i, 8);
            if (!word_needs_escape(word)) {
                high |= word & k_high;
                i += 8;
                continue;
            }
        }
        auto c = static_cast<unsigned char>(s[i]);
        high |= c & 0x80U;
        char e = k_json_escape[c];
        if (e == 0) {
            ++i;
            continue;
        }
        out.append(s + copied, i - copied);
        out += '\\';
        out += e;
        if (e == 'u') {
            out += "00";
            out += hex[c >> 4];
            out += hex[c & 15U];
        }
        copied = ++i;
    }
    out.append(s + copied, n - copied);
    return high != 0;
}

// The quoted string: bytes that are not UTF-8 become U+FFFD first.
void append_quoted(std::string_view text, std::string& out, const char* hex) {
    size_t mark = out.size();
    out += '"';
    if (append_escaped(text, out, hex) && util::first_invalid_utf8(text) != std::string::npos) {
        out.resize(mark + 1);
        append_escaped(util::replace_invalid_utf8(text), out, hex);
    }
    out += '"';
}

constexpr const char* k_upper_hex = "0123456789ABCDEF";

void append_string(std::string_view text, std::string& out) {
    append_quoted(text, out, k_upper_hex);
}

void append_int(int value, std::string& out) {
    char digits[16];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

void append_string_or_null(bool is_null, std::string_view text, std::string& out) {
    if (is_null) {
        out += "null";
    } else {
        append_string(text, out);
    }
}

}  // namespace

void append_json_quoted(std::string_view text, std::string& out, bool upper_hex) {
    append_quoted(text, out, upper_hex ? k_upper_hex : "0123456789abcdef");
}

void append_json_finding(const Finding& f, std::string& out) {
    bool no_lock = f.lock == LockLevel::none;
    out += "{\"alternative\":";
    append_string(f.alternative, out);
    out += ",\"blocks\":";
    append_string_or_null(no_lock, no_lock ? "" : lock_blocks(f.lock), out);
    out += ",\"column\":";
    append_int(f.column, out);
    out += ",\"file\":";
    append_string(shown_path(f.file), out);
    out += ",\"line\":";
    append_int(f.line, out);
    out += ",\"lock\":";
    append_string_or_null(no_lock, no_lock ? "" : lock_name(f.lock), out);
    out += ",\"lock_detail\":";
    append_string(f.lock_detail, out);
    out += ",\"message\":";
    append_string(f.message, out);
    out += ",\"rewrite\":";
    append_string_or_null(f.rewrite.empty(), f.rewrite, out);
    out += ",\"rule\":";
    append_string(f.rule, out);
    out += ",\"severity\":";
    append_string(severity_name(f.severity), out);
    out += ",\"statement\":";
    append_string(f.statement, out);
    out += ",\"suppressed\":";
    if (f.suppressed_by) {
        out += "{\"line\":";
        append_int(f.suppressed_by->line, out);
        out += ",\"reason\":";
        append_string(f.suppressed_by->reason, out);
        out += f.suppressed_by->whole_file ? ",\"whole_file\":true}" : ",\"whole_file\":false}";
    } else {
        out += "null";
    }
    out += ",\"table_work\":";
    append_string(f.table_work, out);
    out += ",\"tables\":[";
    for (size_t i = 0; i < f.tables.size(); ++i) {
        out += i == 0 ? "" : ",";
        append_string(f.tables[i], out);
    }
    out += "]}";
}

}  // namespace sm::planner
