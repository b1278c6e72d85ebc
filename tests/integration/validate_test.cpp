// validate and schema dump: drift between the migrations and a live database,
// found by building the expected schema on a throwaway cluster (or reading a
// snapshot) and comparing it with the target.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_database.hpp"
#include "support/tool.hpp"

using namespace sm::test;

namespace {

struct Project {
    TestDatabase db;
    MigrationDir dir;
    Project() { dir.copy_example(); }
    ToolRun run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, {{"DATABASE_URL", db.url()}});
    }
    nlohmann::json validate_json(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"validate", "--format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run(args);
        INFO(r.all());
        REQUIRE((r.exit_code == 0 || r.exit_code == 11));
        auto out = nlohmann::json::parse(r.out);
        CHECK(out["exit_code"] == r.exit_code);
        CHECK(out["drift"] == (r.exit_code == 11));
        return out;
    }
};

// "kind: message" for every schema difference.
std::vector<std::string> schema_lines(const nlohmann::json& report) {
    std::vector<std::string> out;
    for (const auto& d : report["schema"]) {
        out.push_back(d["kind"].get<std::string>() + ": " + d["message"].get<std::string>());
    }
    return out;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("validate reports no drift on a database the example migrations built") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);

    auto text = p.run({"validate"});
    INFO(text.all());
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("the 12 applied migrations (head 20260102090000)") != std::string::npos);
    CHECK(text.out.find("history: files and history agree") != std::string::npos);
    CHECK(text.out.find("schema:  no differences") != std::string::npos);
    CHECK(text.out.find("verdict: no drift") != std::string::npos);

    auto json = p.validate_json();
    CHECK(json["drift"] == false);
    CHECK(json["history"].empty());
    CHECK(json["schema"].empty());
    CHECK(json["expected"]["source"] == "sandbox");
    CHECK(json["expected"]["objects"].get<int>() > 50);
}

TEST_CASE("validate compares only what was applied, and never creates the history schema") {
    Project p;
    REQUIRE(p.run({"execute", "--target", "20260101090500"}).exit_code == 0);
    auto json = p.validate_json();
    CHECK(json["drift"] == false);
    CHECK(json["expected"]["migrations"] == 6);

    TestDatabase empty;
    auto r = run_tool({"--migrations-dir", p.dir.path().string(), "validate"},
                      {{"DATABASE_URL", empty.url()}});
    INFO(r.all());
    CHECK(r.exit_code == 0);
    CHECK(empty.scalar("SELECT to_regnamespace('safe_migrate') IS NULL") == "t");
}

TEST_CASE("validate finds each kind of manual change to the live schema") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    p.db.query("ALTER TABLE public.users ADD COLUMN nickname text");
    p.db.query("DROP INDEX public.order_items_product_id_idx");
    p.db.query(
        "UPDATE pg_index SET indisvalid = false "
        "WHERE indexrelid = 'public.orders_user_id_idx'::regclass");
    p.db.query("ALTER TABLE public.orders ALTER COLUMN status SET DEFAULT 'paid'");
    p.db.query("CREATE TABLE public.scratch (id int PRIMARY KEY, note text)");
    p.db.query("CREATE INDEX scratch_note_idx ON public.scratch (note)");
    // A unique index built concurrently on duplicate data fails and stays INVALID.
    p.db.query("INSERT INTO public.users (email) VALUES ('Ann@example.com'), ('ann@example.com')");
    CHECK_THROWS(p.db.query(
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_lower_idx ON public.users (lower(email))"));

    auto json = p.validate_json();
    CHECK(json["drift"] == true);
    CHECK(json["history"].empty());
    CHECK(schema_lines(json) ==
          std::vector<std::string>{
              "changed: column public.orders.status: default is 'paid'::text in the database, "
              "'pending'::text in the migrations",
              "extra: column public.users.nickname exists in the database but in no migration",
              "missing: index public.order_items_product_id_idx is missing",
              "changed: index public.orders_user_id_idx is INVALID",
              "extra: index public.users_email_lower_idx exists in the database but in no "
              "migration (INVALID)",
              "extra: table public.scratch exists in the database but in no migration"});
    CHECK(json["schema"][0]["attribute"] == "default");
    CHECK(json["schema"][0]["expected"] == "'pending'::text");
    CHECK(json["schema"][0]["actual"] == "'paid'::text");

    auto text = p.run({"validate"});
    CHECK(text.exit_code == 11);
    CHECK(text.out.find("  missing   index public.order_items_product_id_idx is missing") !=
          std::string::npos);
    CHECK(text.out.find("verdict: DRIFT (0 history problems, 6 schema differences)") !=
          std::string::npos);
}

TEST_CASE("validate reports a migration file changed after it was applied") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    std::string file = "20260101090900_add_orders_shipped_at.up.sql";
    p.dir.write(file, read_text(p.dir.path() / file) + "-- edited after the deploy\n");

    auto json = p.validate_json();
    CHECK(json["drift"] == true);
    REQUIRE(json["history"].size() == 1);
    CHECK(json["history"][0]["state"] == "changed");
    CHECK(json["history"][0]["version"] == 20260101090900);
    CHECK(json["history"][0]["message"].get<std::string>().find(
              "migration 20260101090900_add_orders_shipped_at: file changed after it was "
              "applied") == 0);
    CHECK(json["schema"].empty());
}

TEST_CASE("schema dump writes a snapshot that validate --snapshot compares against") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    auto snapshot = p.dir.path() / "schema.json";

    auto dump = p.run({"schema", "dump", "--out", snapshot.string()});
    INFO(dump.all());
    REQUIRE(dump.exit_code == 0);
    auto written = nlohmann::json::parse(read_text(snapshot));
    CHECK(written["format"] == "safe-migrate-schema/1");
    CHECK(written["head"] == 20260102090000);
    CHECK(written["versions"].size() == 12);

    // The live database read directly gives the same objects.
    auto live = p.run({"schema", "dump", "--from-target"});
    REQUIRE(live.exit_code == 0);
    CHECK(nlohmann::json::parse(live.out)["objects"] == written["objects"]);

    auto clean = p.validate_json({"--snapshot", snapshot.string()});
    CHECK(clean["drift"] == false);
    CHECK(clean["expected"]["source"] == "snapshot");
    CHECK(clean["notes"].empty());

    p.db.query("ALTER TABLE public.users ADD COLUMN nickname text");
    auto drift = p.validate_json({"--snapshot", snapshot.string()});
    CHECK(schema_lines(drift) ==
          std::vector<std::string>{
              "extra: column public.users.nickname exists in the database but in no migration"});

    p.dir.write("bad.json", "{\"format\": \"something else\"}");
    auto bad = p.run({"validate", "--snapshot", (p.dir.path() / "bad.json").string()});
    CHECK(bad.exit_code == 3);
    CHECK(bad.err.find("is not a schema snapshot: format is not safe-migrate-schema/1") !=
          std::string::npos);
}

TEST_CASE("validate creates the target's roles on the throwaway database, so GRANTs apply") {
    TestDatabase db;
    MigrationDir dir;
    std::string role = db.name() + "_reader";
    db.query("CREATE ROLE " + role + " NOLOGIN");
    dir.write("1_t.up.sql", "CREATE TABLE t (id int);\nGRANT SELECT ON t TO " + role + ";\n");
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, {{"DATABASE_URL", db.url()}});
    };
    REQUIRE(run({"execute"}).exit_code == 0);
    auto r = run({"validate"});
    INFO(r.all());
    CHECK(r.exit_code == 0);
    db.query("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

TEST_CASE("a migration that fails on the throwaway database is a failure naming it") {
    TestDatabase db;
    MigrationDir dir;
    db.query("CREATE TABLE legacy (id int)");  // made by hand, in no migration
    dir.write("1_legacy_note.up.sql", "ALTER TABLE legacy ADD COLUMN note text;\n");
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, {{"DATABASE_URL", db.url()}});
    };
    REQUIRE(run({"execute"}).exit_code == 0);
    auto r = run({"validate"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("safe-migrate: error: migration 1_legacy_note line 1 failed on the "
                     "throwaway database: ") != std::string::npos);
    CHECK(r.err.find("relation \"legacy\" does not exist") != std::string::npos);
    CHECK(r.err.find("hint: ") != std::string::npos);
}
