// Unit tests for src/planner/parse_tree.{hpp,cpp}: the read-only tree the
// rules walk, built from libpg_query's JSON with simdjson.

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "planner/parse_tree.hpp"
#include "planner/sql_parser.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_parse_tree_test {

using sm::planner::ParseDocument;
using sm::planner::ParseTree;

TEST_CASE("a parse tree reads objects, arrays and scalars like the JSON", "[parse_tree]") {
    ParseDocument doc;
    const ParseTree& t = doc.parse(
        R"({"s":"text","i":42,"neg":-7,"f":1.5,"b":true,"n":null,"a":[1,"two",{"k":3}],"o":{"x":"y"}})");
    REQUIRE(t.is_object());
    CHECK(t.size() == 8);
    CHECK(t.value("s", "") == "text");
    CHECK(t.value("i", 0) == 42);
    CHECK(t.value("neg", 0LL) == -7);
    CHECK(t.value("f", 0.0) == 1.5);
    CHECK(t.value("b", false));
    CHECK(t["n"].is_null());
    CHECK(t.contains("n"));
    const ParseTree& a = t["a"];
    REQUIRE(a.is_array());
    CHECK(a.size() == 3);
    CHECK(a[0].get<int>() == 1);
    CHECK(a[1].get<std::string>() == "two");
    CHECK(a.back()["k"].get<long long>() == 3);
    CHECK(a.front().get<int>() == 1);
    std::vector<std::string> keys;
    for (const auto& member : t.items()) {
        keys.emplace_back(member.key());
    }
    CHECK(keys == std::vector<std::string>{"s", "i", "neg", "f", "b", "n", "a", "o"});
    CHECK(t["o"].begin().key() == "x");
    CHECK(t["o"].begin().value().get<std::string>() == "y");
}

TEST_CASE("missing keys and wrong types give the default, never a crash", "[parse_tree]") {
    ParseDocument doc;
    const ParseTree& t = doc.parse(R"({"s":"text","i":42,"a":[]})");
    CHECK_FALSE(t.contains("missing"));
    CHECK(t.count("missing") == 0);
    CHECK(t.find("missing") == t.end());
    CHECK(t["missing"].is_null());
    CHECK(t["missing"]["deeper"][3].is_null());
    CHECK(t["missing"].empty());
    CHECK(t.value("missing", "fallback") == "fallback");
    CHECK(t.value("i", "fallback") == "fallback");  // a number, not a string
    CHECK(t.value("s", 7) == 7);                    // a string, not a number
    CHECK(t.value("s", true));
    CHECK(t["a"].empty());
    CHECK(t["a"].back().is_null());
    CHECK(t["a"][0].is_null());
    CHECK_THROWS_AS(t.at("missing"), std::out_of_range);
    CHECK_THROWS_AS(t["s"].get<int>(), std::logic_error);
    CHECK(ParseTree::empty_object().is_object());
    CHECK(ParseTree::empty_array().is_array());
    CHECK(ParseTree::null_node().size() == 0);
}

TEST_CASE("dump writes the node back as JSON", "[parse_tree]") {
    ParseDocument doc;
    const ParseTree& t = doc.parse(R"({"b":[1,2.5,"x\"y",false,null],"a":{}})");
    CHECK(t["b"].dump() == R"([1,2.5,"x\"y",false,null])");
    CHECK(t["a"].dump() == "{}");
}

TEST_CASE("a document is reused statement after statement", "[parse_tree]") {
    ParseDocument doc;
    for (const char* sql : {"CREATE TABLE t (id bigint)", "ALTER TABLE t ADD COLUMN c text",
                            "CREATE INDEX CONCURRENTLY i ON t (c)"}) {
        auto parsed = sm::planner::parse_sql(sql);
        REQUIRE_FALSE(parsed.error);
        const ParseTree& tree = doc.parse(parsed.tree_json);
        const ParseTree& stmt = tree["stmts"][0]["stmt"];
        REQUIRE(stmt.size() == 1);
        std::string kind(stmt.begin().key());
        CHECK((kind == "CreateStmt" || kind == "AlterTableStmt" || kind == "IndexStmt"));
        CHECK(&doc.root() == &tree);
    }
    auto parsed = sm::planner::parse_sql("CREATE INDEX CONCURRENTLY i ON t (c)");
    const ParseTree& tree = doc.parse(parsed.tree_json);
    CHECK(tree["stmts"][0]["stmt"]["IndexStmt"].value("concurrent", false));
    CHECK(tree["stmts"][0]["stmt"]["IndexStmt"]["relation"].value("relname", "") == "t");
}

TEST_CASE("text that is not JSON is an error", "[parse_tree]") {
    ParseDocument doc;
    CHECK_THROWS_AS(doc.parse("{\"unterminated\": "), std::runtime_error);
}

}  // namespace planner_parse_tree_test
