// Unit tests for src/core/checksum.{hpp,cpp}.

#include <catch2/catch.hpp>
#include <string>

#include "core/checksum.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_checksum_test {

using sm::core::k_checksum_algorithm;
using sm::core::migration_checksum;
using sm::core::normalize_for_checksum;
using sm::core::sha256_hex;

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[checksum]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256_hex is 64 lowercase hex digits and hashes bytes as they are", "[checksum]") {
    std::string h = sha256_hex("SELECT 1;\r\n");
    REQUIRE(h.size() == 64);
    for (char c : h) {
        CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    }
    // sha256_hex does not normalise: CRLF and LF differ.
    CHECK(sha256_hex("SELECT 1;\r\n") != sha256_hex("SELECT 1;\n"));
    // Embedded NUL bytes are hashed too.
    CHECK(sha256_hex(std::string("a\0b", 3)) != sha256_hex("a"));
}

TEST_CASE("the checksum algorithm name is stable", "[checksum]") {
    CHECK(std::string(k_checksum_algorithm) == "sha256-lf-nobom");
}

TEST_CASE("normalize_for_checksum drops a leading BOM and turns CRLF into LF", "[checksum]") {
    CHECK(normalize_for_checksum("a\r\nb\r\n") == "a\nb\n");
    CHECK(normalize_for_checksum("\xEF\xBB\xBF"
                                 "SELECT 1;") == "SELECT 1;");
    CHECK(normalize_for_checksum("\xEF\xBB\xBF"
                                 "a\r\nb") == "a\nb");
    // A lone CR is content, not a line ending.
    CHECK(normalize_for_checksum("a\rb") == "a\rb");
    CHECK(normalize_for_checksum("a\r") == "a\r");
    // Only a leading BOM is dropped; one in the middle stays.
    CHECK(normalize_for_checksum("a\xEF\xBB\xBF") == "a\xEF\xBB\xBF");
    // A partial BOM is not a BOM.
    CHECK(normalize_for_checksum("\xEF\xBB"
                                 "x") ==
          "\xEF\xBB"
          "x");
    CHECK(normalize_for_checksum("") == "");
    CHECK(normalize_for_checksum("\xEF\xBB\xBF") == "");
    // \r\r\n: the first CR is content, the CRLF becomes LF.
    CHECK(normalize_for_checksum("a\r\r\nb") == "a\r\nb");
}

TEST_CASE("migration_checksum is SHA-256 of the normalised bytes", "[checksum]") {
    CHECK(migration_checksum("abc") == sha256_hex("abc"));
    CHECK(migration_checksum("\xEF\xBB\xBF"
                             "abc") == sha256_hex("abc"));
    CHECK(migration_checksum("a\r\nb") == sha256_hex("a\nb"));
}

TEST_CASE("CRLF and LF checkouts of a migration have the same checksum", "[checksum]") {
    const std::string lf = "CREATE TABLE t (\n  id int\n);\nINSERT INTO t VALUES (1);\n";
    const std::string crlf = "CREATE TABLE t (\r\n  id int\r\n);\r\nINSERT INTO t VALUES (1);\r\n";
    CHECK(migration_checksum(lf) == migration_checksum(crlf));
}

TEST_CASE("a UTF-8 BOM does not change the checksum", "[checksum]") {
    const std::string plain = "CREATE TABLE t (id int);\n";
    CHECK(migration_checksum("\xEF\xBB\xBF" + plain) == migration_checksum(plain));
    // BOM and CRLF together.
    CHECK(migration_checksum("\xEF\xBB\xBF"
                             "CREATE TABLE t (id int);\r\n") == migration_checksum(plain));
}

TEST_CASE("a real content change changes the checksum", "[checksum]") {
    const std::string base = "CREATE TABLE t (id int);\n";
    CHECK(migration_checksum(base) != migration_checksum("CREATE TABLE t (id bigint);\n"));
    CHECK(migration_checksum(base) != migration_checksum("CREATE TABLE t (id int);\n\n"));
    CHECK(migration_checksum(base) != migration_checksum("create table t (id int);\n"));
    CHECK(migration_checksum(base) != migration_checksum("CREATE TABLE t  (id int);\n"));
    // Deterministic.
    CHECK(migration_checksum(base) == migration_checksum(base));
}

}  // namespace core_checksum_test
