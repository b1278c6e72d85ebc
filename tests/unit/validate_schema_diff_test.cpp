// Unit tests for src/validate/schema_diff.{hpp,cpp}: diff_schemas is pure, so
// both schemas are built by hand.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "validate/schema_diff.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace validate_schema_diff_test {

using sm::validate::diff_schemas;
using sm::validate::Difference;
using sm::validate::DiffKind;
using sm::validate::SchemaModel;

namespace {

SchemaModel users_schema() {
    SchemaModel m;
    m.add({"table", "public.users", "", {{"kind", "ordinary"}}});
    m.add({"column",
           "public.users.id",
           "table public.users",
           {{"type", "bigint"}, {"nullable", "no"}}});
    m.add({"column",
           "public.users.status",
           "table public.users",
           {{"type", "text"}, {"nullable", "no"}, {"default", "'new'::text"}}});
    m.add({"index",
           "public.users_status_idx",
           "table public.users",
           {{"definition", "CREATE INDEX users_status_idx ON public.users USING btree (status)"},
            {"valid", "yes"}}});
    m.add({"constraint",
           "public.users.users_status_check",
           "table public.users",
           {{"definition", "CHECK ((status <> ''::text))"}, {"valid", "yes"}}});
    return m;
}

std::vector<std::string> messages(const std::vector<Difference>& diffs) {
    std::vector<std::string> out;
    out.reserve(diffs.size());
    for (const auto& d : diffs) {
        out.push_back(std::string(sm::validate::diff_kind_name(d.kind)) + ": " + d.message);
    }
    return out;
}

}  // namespace

TEST_CASE("identical schemas have no differences") {
    CHECK(diff_schemas(users_schema(), users_schema()).empty());
}

TEST_CASE("an extra column is reported as extra") {
    SchemaModel actual = users_schema();
    actual.add({"column", "public.users.nickname", "table public.users", {{"type", "text"}}});
    auto diffs = diff_schemas(users_schema(), actual);
    REQUIRE(diffs.size() == 1);
    CHECK(diffs[0].kind == DiffKind::extra);
    CHECK(diffs[0].object == "column public.users.nickname");
    CHECK(diffs[0].message ==
          "column public.users.nickname exists in the database but in no migration");
}

TEST_CASE("a dropped index is missing") {
    SchemaModel actual = users_schema();
    actual.objects.erase("index public.users_status_idx");
    auto diffs = diff_schemas(users_schema(), actual);
    REQUIRE(diffs.size() == 1);
    CHECK(diffs[0].kind == DiffKind::missing);
    CHECK(diffs[0].message == "index public.users_status_idx is missing");
}

TEST_CASE("an invalid index and a NOT VALID constraint are named as such") {
    SchemaModel actual = users_schema();
    actual.objects["index public.users_status_idx"].attributes["valid"] = "no";
    actual.objects["constraint public.users.users_status_check"].attributes["valid"] = "no";
    auto diffs = diff_schemas(users_schema(), actual);
    CHECK(messages(diffs) == std::vector<std::string>{
                                 "changed: constraint public.users.users_status_check is NOT VALID",
                                 "changed: index public.users_status_idx is INVALID"});
    CHECK(diffs[1].attribute == "valid");
    CHECK(diffs[1].expected == "yes");
    CHECK(diffs[1].actual == "no");
}

TEST_CASE("an extra invalid index says it is invalid") {
    SchemaModel actual = users_schema();
    actual.add({"index", "public.users_email_key", "table public.users", {{"valid", "no"}}});
    auto diffs = diff_schemas(users_schema(), actual);
    REQUIRE(diffs.size() == 1);
    CHECK(diffs[0].message ==
          "index public.users_email_key exists in the database but in no migration (INVALID)");
}

TEST_CASE("a changed default names both values, an added or removed attribute shows (none)") {
    SchemaModel actual = users_schema();
    actual.objects["column public.users.status"].attributes["default"] = "'old'::text";
    actual.objects["column public.users.id"].attributes["default"] = "42";
    auto diffs = diff_schemas(users_schema(), actual);
    CHECK(messages(diffs) ==
          std::vector<std::string>{
              "changed: column public.users.id: default is 42 in the database, (none) in the "
              "migrations",
              "changed: column public.users.status: default is 'old'::text in the database, "
              "'new'::text in the migrations"});
    CHECK(sm::validate::difference_detail(diffs[1]) ==
          "default in the migrations: 'new'::text\ndefault in the database:   'old'::text");
}

TEST_CASE("a long or multi-line value is summarised as differs") {
    SchemaModel expected;
    expected.add({"view", "public.v", "", {{"definition", " SELECT 1 AS x;"}}});
    SchemaModel actual;
    actual.add({"view", "public.v", "", {{"definition", " SELECT 1 AS x\n  WHERE true;"}}});
    auto diffs = diff_schemas(expected, actual);
    REQUIRE(diffs.size() == 1);
    CHECK(diffs[0].message == "view public.v: definition differs");
}

TEST_CASE("children of a missing or extra table are not reported again") {
    SchemaModel expected = users_schema();
    SchemaModel actual;
    actual.add({"table", "public.other", "", {}});
    actual.add({"column", "public.other.a", "table public.other", {{"type", "int"}}});
    actual.add({"index", "public.other_a_idx", "table public.other", {{"valid", "yes"}}});
    CHECK(messages(diff_schemas(expected, actual)) ==
          std::vector<std::string>{"extra: table public.other exists in the database but in no "
                                   "migration",
                                   "missing: table public.users is missing"});
}

TEST_CASE("differences are sorted by object, whatever order they were found in") {
    SchemaModel expected;
    expected.add({"table", "public.b", "", {}});
    SchemaModel actual;
    actual.add({"table", "public.a", "", {}});
    actual.add({"table", "public.c", "", {}});
    auto diffs = diff_schemas(expected, actual);
    REQUIRE(diffs.size() == 3);
    CHECK(diffs[0].object == "table public.a");
    CHECK(diffs[1].object == "table public.b");
    CHECK(diffs[2].object == "table public.c");
}

}  // namespace validate_schema_diff_test
