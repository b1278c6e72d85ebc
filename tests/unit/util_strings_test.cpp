// Unit tests for src/util/strings.{hpp,cpp}.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace util_strings_test {

using namespace sm::util;
using Strings = std::vector<std::string>;

TEST_CASE("split", "[strings]") {
    CHECK(split("a,b,c", ',') == Strings{"a", "b", "c"});
    CHECK(split("", ',') == Strings{""});
    CHECK(split("abc", ',') == Strings{"abc"});
    CHECK(split(",a,,b,", ',') == Strings{"", "a", "", "b", ""});
    CHECK(split("line1\nline2\n", '\n') == Strings{"line1", "line2", ""});
}

TEST_CASE("join", "[strings]") {
    CHECK(join({}, ", ") == "");
    CHECK(join({"a"}, ", ") == "a");
    CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
    CHECK(join({"", ""}, "-") == "-");
    CHECK(join(split("x:y:z", ':'), ":") == "x:y:z");
}

TEST_CASE("trim", "[strings]") {
    CHECK(trim("  a b  ") == "a b");
    CHECK(trim("\t\r\n x \n") == "x");
    CHECK(trim("") == "");
    CHECK(trim("   ") == "");
    CHECK(trim("abc") == "abc");
}

TEST_CASE("starts_with and to_lower", "[strings]") {
    CHECK(starts_with("safe-migrate: x", "safe-migrate:"));
    CHECK(starts_with("abc", ""));
    CHECK_FALSE(starts_with("ab", "abc"));
    CHECK_FALSE(starts_with("xabc", "abc"));
    CHECK(to_lower("CREATE Index") == "create index");
    CHECK(to_lower("\xC3\x89") == "\xC3\x89");  // non-ASCII bytes untouched
}

TEST_CASE("last_lines", "[strings]") {
    CHECK(last_lines("a\nb\nc\n", 2) == "b\nc");
    CHECK(last_lines("a\nb\nc", 1) == "c");
    CHECK(last_lines("a\nb\nc", 5) == "a\nb\nc");
    CHECK(last_lines("a\nb\nc\r\n\n", 3) == "a\nb\nc");
    CHECK(last_lines("only", 3) == "only");
    CHECK(last_lines("", 3) == "");
}

TEST_CASE("indent and to_hex", "[strings]") {
    CHECK(indent("a\nb", "  ") == "  a\n  b");
    CHECK(indent("one", "> ") == "> one");
    CHECK(to_hex(std::string("\x00\x0f\xff\xab", 4)) == "000fffab");
    CHECK(to_hex("") == "");
}

TEST_CASE("edit_distance", "[strings]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("abc", "abc") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("abc", "") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("lock_timout", "lock_timeout") == 1);
    CHECK(edit_distance("flaw", "lawn") == 2);
    CHECK(edit_distance("ab", "ba") == 2);  // Levenshtein, no transpositions
    CHECK(edit_distance("sunday", "saturday") == edit_distance("saturday", "sunday"));
}

TEST_CASE("closest suggests a near name, and nothing for a far or tiny word", "[strings]") {
    Strings options = {"--database-url", "--migrations-dir", "--config", "--env"};
    CHECK(closest("--databse-url", options) == "--database-url");
    CHECK(closest("--confg", options) == "--config");
    CHECK(closest("--en", options) == "--env");
    CHECK(closest("--colour", options).empty());
    CHECK(closest("creat", {"create", "list", "verify"}) == "create");
    CHECK(closest("x", {"y", "z"}).empty());            // one edit is the whole word
    CHECK(closest("lst", {"list", "last"}) == "list");  // the first of equals
    CHECK(closest("anything", {}).empty());
}

TEST_CASE("first_invalid_utf8 accepts valid UTF-8", "[strings][utf8]") {
    CHECK(first_invalid_utf8("") == std::string_view::npos);
    CHECK(first_invalid_utf8("plain ascii") == std::string_view::npos);
    CHECK(first_invalid_utf8("caf\xC3\xA9") == std::string_view::npos);       // é
    CHECK(first_invalid_utf8("\xE2\x82\xAC") == std::string_view::npos);      // €
    CHECK(first_invalid_utf8("\xF0\x9F\x98\x80") == std::string_view::npos);  // 😀
    CHECK(first_invalid_utf8("\xEF\xBB\xBF"
                             "x") == std::string_view::npos);                     // BOM
    CHECK(first_invalid_utf8("\xED\x9F\xBF") == std::string_view::npos);          // U+D7FF
    CHECK(first_invalid_utf8("\xEE\x80\x80") == std::string_view::npos);          // U+E000
    CHECK(first_invalid_utf8("\xF4\x8F\xBF\xBF") == std::string_view::npos);      // U+10FFFF
    CHECK(first_invalid_utf8(std::string("a\0b", 3)) == std::string_view::npos);  // NUL is valid
}

TEST_CASE("first_invalid_utf8 finds the offset of invalid sequences", "[strings][utf8]") {
    SECTION("stray continuation and impossible bytes") {
        CHECK(first_invalid_utf8("ab\x80") == 2);
        CHECK(first_invalid_utf8("\xFF") == 0);
        CHECK(first_invalid_utf8("ok \xFE") == 3);
        CHECK(first_invalid_utf8("\xF8\x88\x80\x80\x80") == 0);  // 5-byte form
    }
    SECTION("overlong encodings") {
        CHECK(first_invalid_utf8("x\xC0\x80") == 1);         // U+0000 in 2 bytes
        CHECK(first_invalid_utf8("\xC1\xBF") == 0);          // U+007F in 2 bytes
        CHECK(first_invalid_utf8("\xE0\x80\xAF") == 0);      // '/' in 3 bytes
        CHECK(first_invalid_utf8("\xE0\x9F\xBF") == 0);      // U+07FF in 3 bytes
        CHECK(first_invalid_utf8("\xF0\x8F\xBF\xBF") == 0);  // U+FFFF in 4 bytes
    }
    SECTION("UTF-16 surrogates") {
        CHECK(first_invalid_utf8("ab\xED\xA0\x80") == 2);  // U+D800
        CHECK(first_invalid_utf8("\xED\xBF\xBF") == 0);    // U+DFFF
    }
    SECTION("beyond U+10FFFF") {
        CHECK(first_invalid_utf8("\xF4\x90\x80\x80") == 0);
        CHECK(first_invalid_utf8("\xF5\x80\x80\x80") == 0);
    }
    SECTION("truncated sequences") {
        CHECK(first_invalid_utf8("abc\xC3") == 3);
        CHECK(first_invalid_utf8("\xE2\x82") == 0);
        CHECK(first_invalid_utf8("xy\xF0\x9F\x98") == 2);
        CHECK(first_invalid_utf8("\xE2\x82z") == 0);     // interrupted by ASCII
        CHECK(first_invalid_utf8("\xC3\xA9\xC3") == 2);  // valid, then truncated
    }
}

TEST_CASE("line_of_offset", "[strings]") {
    const std::string text = "one\ntwo\nthree";
    CHECK(line_of_offset(text, 0) == 1);
    CHECK(line_of_offset(text, 2) == 1);
    CHECK(line_of_offset(text, 3) == 1);  // the newline itself belongs to line 1
    CHECK(line_of_offset(text, 4) == 2);
    CHECK(line_of_offset(text, 8) == 3);
    CHECK(line_of_offset(text, 1000) == 3);  // clamped
    CHECK(line_of_offset("", 0) == 1);
}

TEST_CASE("render_table pads columns and trims trailing spaces", "[strings]") {
    std::string table = render_table({"VERSION", "NAME", "STATE"},
                                     {{"1", "create_users", "applied"}, {"10", "idx", "pending"}});
    CHECK(table ==
          "VERSION  NAME          STATE\n"
          "1        create_users  applied\n"
          "10       idx           pending\n");
}

TEST_CASE("render_table with short rows and no rows", "[strings]") {
    CHECK(render_table({"A", "B"}, {}) == "A  B\n");
    CHECK(render_table({"A", "B", "C"}, {{"long-value"}}) ==
          "A           B  C\n"
          "long-value\n");
}

TEST_CASE("replace_invalid_utf8 writes U+FFFD for each byte that starts no valid sequence") {
    using sm::util::replace_invalid_utf8;
    CHECK(replace_invalid_utf8("plain ascii") == "plain ascii");
    CHECK(replace_invalid_utf8("caf\xc3\xa9") == "caf\xc3\xa9");                // valid é kept
    CHECK(replace_invalid_utf8("caf\xe9!") == "caf\xef\xbf\xbd!");              // Latin-1 é
    CHECK(replace_invalid_utf8("\xff\xfe") == "\xef\xbf\xbd\xef\xbf\xbd");      // two bad bytes
    CHECK(replace_invalid_utf8("ok\xe2\x82") == "ok\xef\xbf\xbd\xef\xbf\xbd");  // truncated
    CHECK(sm::util::first_invalid_utf8(replace_invalid_utf8("a\x80z\xc0\xafz")) ==
          std::string::npos);
}

TEST_CASE("utf8_cut never splits a UTF-8 character") {
    const std::string text =
        "ab\xc3\xa9"
        "cd";  // "abécd": é is two bytes
    CHECK(sm::util::utf8_cut(text, 2) == 2);
    CHECK(sm::util::utf8_cut(text, 3) == 2);  // inside é: back to its start
    CHECK(sm::util::utf8_cut(text, 4) == 4);
    CHECK(sm::util::utf8_cut(text, 100) == text.size());
    CHECK(sm::util::utf8_cut("", 5) == 0);
}

}  // namespace util_strings_test
