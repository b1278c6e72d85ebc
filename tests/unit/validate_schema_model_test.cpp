// Unit tests for src/validate/schema_model.{hpp,cpp}: the snapshot file's JSON
// round trip and its rejection of files that are not snapshots.

#include <catch2/catch.hpp>
#include <string>

#include "util/error.hpp"
#include "validate/schema_model.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace validate_schema_model_test {

using sm::validate::model_from_json;
using sm::validate::model_to_json;
using sm::validate::SchemaModel;

TEST_CASE("a schema model survives the JSON round trip, byte for byte") {
    SchemaModel m;
    m.head = 20260102090000;
    m.versions = {20260101090000, 20260102090000};
    m.add({"table", "public.users", "", {{"kind", "ordinary"}, {"persistence", "permanent"}}});
    m.add({"column",
           "public.users.email",
           "table public.users",
           {{"type", "text"}, {"nullable", "no"}, {"default", "'a\"b'::text"}}});
    m.add({"function", "public.f(integer)", "", {{"definition", "line 1\nline 2"}}});

    std::string text = model_to_json(m);
    SchemaModel back = model_from_json(text, "schema.json");
    CHECK(back.head == m.head);
    CHECK(back.versions == m.versions);
    REQUIRE(back.objects.size() == 3);
    const auto* column = back.find("column public.users.email");
    REQUIRE(column != nullptr);
    CHECK(column->parent == "table public.users");
    CHECK(column->attributes.at("default") == "'a\"b'::text");
    CHECK(back.find("function public.f(integer)")->attributes.at("definition") == "line 1\nline 2");
    CHECK(model_to_json(back) == text);
}

TEST_CASE("the snapshot lists objects sorted by key, whatever order they were added in") {
    SchemaModel a;
    a.add({"table", "public.b", "", {}});
    a.add({"column", "public.b.x", "table public.b", {{"type", "int"}}});
    a.add({"table", "public.a", "", {}});
    SchemaModel b;
    b.add({"table", "public.a", "", {}});
    b.add({"table", "public.b", "", {}});
    b.add({"column", "public.b.x", "table public.b", {{"type", "int"}}});
    CHECK(model_to_json(a) == model_to_json(b));
    std::string text = model_to_json(a);
    CHECK(text.find("\"column\"") < text.find("\"public.a\""));
    CHECK(text.back() == '\n');
}

TEST_CASE("a file that is not a snapshot is invalid input naming the file") {
    auto rejects = [](const std::string& text, const std::string& why) {
        try {
            model_from_json(text, "schema.json");
            FAIL("accepted " << text);
        } catch (const sm::Error& e) {
            CHECK(e.code() == sm::ExitCode::invalid_input);
            CHECK_THAT(e.what(),
                       Catch::Matchers::StartsWith("schema.json is not a schema snapshot: "));
            CHECK_THAT(e.what(), Catch::Matchers::Contains(why));
        }
    };
    rejects("{", "invalid JSON");
    rejects(R"({"format": "safe-migrate-plan/1"})", "format is not safe-migrate-schema/1");
    rejects(R"({"format": "safe-migrate-schema/1", "objects": [{"kind": "table"}]})", "name");
}

}  // namespace validate_schema_model_test
