// Unit tests for src/core/sql_quote.{hpp,cpp}: the one quoting module.

#include <catch2/catch.hpp>

#include "core/sql_quote.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace core_sql_quote_test {

using sm::core::Keywords;
using sm::core::quote_ident;
using sm::core::quote_literal;

TEST_CASE("quote_ident leaves plain names bare and quotes everything else", "[quote]") {
    CHECK(quote_ident("orders") == "orders");
    CHECK(quote_ident("_tmp$1") == "_tmp$1");
    CHECK(quote_ident("Orders") == "\"Orders\"");
    CHECK(quote_ident("1st") == "\"1st\"");
    CHECK(quote_ident("a b") == "\"a b\"");
    CHECK(quote_ident("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(quote_ident("") == "\"\"");
}

TEST_CASE("quote_ident quotes reserved keywords unless asked not to", "[quote]") {
    CHECK(quote_ident("order") == "\"order\"");
    CHECK(quote_ident("user") == "\"user\"");
    CHECK(quote_ident("order", Keywords::bare) == "order");
    CHECK(quote_ident("Order", Keywords::bare) == "\"Order\"");
}

TEST_CASE("quote_literal doubles quotes and escapes backslashes with E''", "[quote]") {
    CHECK(quote_literal("5000ms") == "'5000ms'");
    CHECK(quote_literal("it's") == "'it''s'");
    CHECK(quote_literal("") == "''");
    CHECK(quote_literal("C:\\temp") == "E'C:\\\\temp'");
    CHECK(quote_literal("a'\\b") == "E'a''\\\\b'");
}

}  // namespace core_sql_quote_test
