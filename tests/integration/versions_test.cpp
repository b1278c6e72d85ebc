// Versions that are not integers, against a real PostgreSQL: a history table
// of the schema safe-migrate kept while versions were bigint is upgraded in
// place (nothing lost), and a Flyway project with dotted versions (V1.2.10__,
// V1_2__, files in subfolders) is executed, shown, rolled back and adopted in
// Flyway's order.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/checksum.hpp"
#include "db/history.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace versions_test {

using namespace sm::test;

namespace {

// safe_migrate's history, events and progress tables exactly as the schema
// created them while versions were bigint (src/db/history.cpp before the
// upgrade; the seeds and protected_targets tables did not change).
constexpr const char* k_bigint_schema = R"SQL(
CREATE SCHEMA IF NOT EXISTS safe_migrate;
CREATE TABLE IF NOT EXISTS safe_migrate.history (
    version            bigint      PRIMARY KEY,
    name               text        NOT NULL,
    checksum           text        NOT NULL,
    checksum_algorithm text        NOT NULL,
    applied_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by         text        NOT NULL,
    duration_ms        bigint      NOT NULL,
    run_id             uuid        NOT NULL,
    tool_version       text        NOT NULL
);
CREATE TABLE IF NOT EXISTS safe_migrate.events (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_id   uuid        NOT NULL,
    kind     text        NOT NULL,
    version  bigint,
    actor    text        NOT NULL,
    message  text        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_run_id_idx ON safe_migrate.events (run_id);
CREATE TABLE IF NOT EXISTS safe_migrate.progress (
    version          bigint      PRIMARY KEY,
    name             text        NOT NULL,
    checksum         text        NOT NULL,
    statements_total integer     NOT NULL,
    statements_done  integer     NOT NULL,
    done_hash        text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('running', 'failed')),
    last_error       text        NOT NULL DEFAULT '',
    run_id           uuid        NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION safe_migrate.events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'safe_migrate.events is append-only; record a new event instead';
END
$fn$;
CREATE OR REPLACE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON safe_migrate.events
    FOR EACH STATEMENT EXECUTE FUNCTION safe_migrate.events_are_append_only();
)SQL";

std::string up_sql(int i) {
    return "CREATE TABLE t" + std::to_string(i) + " (id int);\n";
}

// Versions 1..11 of a native project (11 sorts before 2 as text, not as a version).
void write_native(const MigrationDir& dir) {
    for (int i = 1; i <= 11; ++i) {
        dir.write(std::to_string(i) + "_t" + std::to_string(i) + ".up.sql", up_sql(i));
        dir.write(std::to_string(i) + "_t" + std::to_string(i) + ".down.sql",
                  "DROP TABLE t" + std::to_string(i) + ";\n");
    }
}

std::vector<std::string> on(const MigrationDir& dir, const TestDatabase& db,
                            std::vector<std::string> args) {
    std::vector<std::string> all = {"--migrations-dir", dir.path().string(), "--database-url",
                                    db.url()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

}  // namespace

TEST_CASE("a history of the bigint schema is upgraded in place, keeping every row") {
    MigrationDir dir;
    write_native(dir);
    TestDatabase db;
    // What safe-migrate left before the upgrade: 1..10 applied and recorded.
    db.query(k_bigint_schema);
    for (int i = 1; i <= 10; ++i) {
        db.query(up_sql(i));
        db.query(
            "INSERT INTO safe_migrate.history (version, name, checksum, checksum_algorithm, "
            "applied_by, duration_ms, run_id, tool_version) VALUES (" +
            std::to_string(i) + ", 't" + std::to_string(i) + "', '" +
            sm::core::migration_checksum(up_sql(i)) + "', '" + sm::core::k_checksum_algorithm +
            "', 'old@host', 5, '00000000-0000-0000-0000-000000000001', '0.0.9')");
        db.query(
            "INSERT INTO safe_migrate.events (run_id, kind, version, actor, message) VALUES "
            "('00000000-0000-0000-0000-000000000001', 'migration.applied', " +
            std::to_string(i) + ", 'old@host', 'applied in 5ms')");
    }

    // status reads the old schema as it is (no lock, no upgrade).
    auto status = run_tool(on(dir, db, {"status", "--format", "json"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);
    auto doc = nlohmann::json::parse(status.out);
    CHECK(doc["head"] == 10);
    CHECK(db.scalar("SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = "
                    "'safe_migrate.history'::regclass AND attname = 'version'") == "bigint");

    // execute upgrades it under the lock, then applies 11 as the next version.
    auto run = run_tool(on(dir, db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    for (const char* table : {"history", "events", "progress"}) {
        CHECK(db.scalar(std::string("SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE "
                                    "attrelid = 'safe_migrate.") +
                        table + "'::regclass AND attname = 'version'") == "text");
    }
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,2,3,4,5,6,7,8,9,10,11");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE applied_by = 'old@host' AND "
                    "version_key = ARRAY[version::numeric]") == "10");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'migration.applied'") ==
          "11");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events e JOIN safe_migrate.history h "
                    "USING (version) WHERE e.kind = 'migration.applied'") == "11");

    // Opening it again changes nothing; status and rollback read it in version order.
    auto again = run_tool(on(dir, db, {"execute"}));
    INFO(again.all());
    CHECK(again.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "11");
    auto back = run_tool(on(dir, db, {"rollback", "--to", "9", "--confirm", db.name()}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,2,3,4,5,6,7,8,9");
    CHECK(db.scalar("SELECT to_regclass('t10') IS NULL AND to_regclass('t11') IS NULL") == "t");
    auto after = run_tool(on(dir, db, {"status", "--format", "json"}));
    INFO(after.all());
    auto entries = nlohmann::json::parse(after.out)["migrations"];
    REQUIRE(entries.size() == 11);
    CHECK(entries[8]["version"] == 9);
    CHECK(entries[9]["version"] == 10);
    CHECK(entries[10]["version"] == 11);
}

namespace {

// A Flyway project (https://documentation.red-gate.com/fd/migrations-184127470.html):
// V<version>__<description>.sql, '.' or '_' between the version's parts, undo
// scripts U<version>__, and subfolders scanned too.
void write_flyway(const MigrationDir& dir) {
    dir.write("V1__base.sql", "CREATE TABLE base (id int);\n");
    dir.write("V1.2__two.sql", "CREATE TABLE two (id int);\n");
    dir.write("U1.2__two.sql", "DROP TABLE two;\n");
    dir.write("V1.10__ten.sql", "CREATE TABLE ten (id int);\n");
    dir.write("U1.10__ten.sql", "DROP TABLE ten;\n");
    std::filesystem::create_directories(dir.path() / "later");
    dir.write("later/V1_2_1__two_one.sql", "CREATE TABLE two_one (id int);\n");
    dir.write("later/U1_2_1__two_one.sql", "DROP TABLE two_one;\n");
}

std::vector<std::string> flyway(const MigrationDir& dir, const TestDatabase& db,
                                std::vector<std::string> args) {
    auto all = on(dir, db, {"--layout", "flyway"});
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

}  // namespace

TEST_CASE("a current history schema is only read, and a missing part of it is made again") {
    MigrationDir dir;
    write_native(dir);
    TestDatabase db;
    REQUIRE(run_tool(on(dir, db, {"execute"})).exit_code == 0);
    // The fast check's list names every table and named index the schema has.
    auto listed = sm::db::history_schema_relations();
    std::sort(listed.begin(), listed.end());
    CHECK(db.scalar("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE "
                    "relnamespace = 'safe_migrate'::regnamespace AND relkind IN ('r', 'i') AND "
                    "relname NOT LIKE '%_pkey'") == sm::util::join(listed, ","));
    // CREATE OR REPLACE rewrites a catalog row (a new xmin) even when nothing changed.
    const std::string catalog_rows =
        "SELECT (SELECT xmin::text FROM pg_proc WHERE proname = 'events_are_append_only') || '/' "
        "|| (SELECT xmin::text FROM pg_trigger WHERE tgname = 'events_append_only') || '/' || "
        "(SELECT xmin::text FROM pg_namespace WHERE nspname = 'safe_migrate')";
    std::string before = db.scalar(catalog_rows);
    auto again = run_tool(on(dir, db, {"execute"}));
    INFO(again.all());
    REQUIRE(again.exit_code == 0);
    CHECK(db.scalar(catalog_rows) == before);

    // A table dropped by hand, or the trigger, is made again by the next run.
    db.query("DROP TABLE safe_migrate.seeds");
    db.query("DROP TRIGGER events_append_only ON safe_migrate.events");
    auto mended = run_tool(on(dir, db, {"execute"}));
    INFO(mended.all());
    REQUIRE(mended.exit_code == 0);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.seeds') IS NOT NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'events_append_only'") == "1");
}

TEST_CASE("flyway dotted versions run in flyway's order: 1, 1.2, 1.2.1, 1.10") {
    MigrationDir dir;
    write_flyway(dir);
    TestDatabase db;
    auto lint = run_tool(flyway(dir, db, {"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);

    auto run = run_tool(flyway(dir, db, {"execute", "--target", "1.2.1"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,1.2,1.2.1");
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY id) FROM safe_migrate.events WHERE "
                    "kind = 'migration.applied'") == "1,1.2,1.2.1");

    auto status = run_tool(flyway(dir, db, {"status", "--format", "json"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);
    auto doc = nlohmann::json::parse(status.out);
    CHECK(doc["head"] == "1.2.1");
    auto entries = doc["migrations"];
    REQUIRE(entries.size() == 4);
    CHECK(entries[0]["version"] == 1);  // an integer version stays a JSON number
    CHECK(entries[1]["version"] == "1.2");
    CHECK(entries[2]["version"] == "1.2.1");
    CHECK(entries[3]["version"] == "1.10");
    CHECK(entries[3]["state"] == "pending");

    auto rest = run_tool(flyway(dir, db, {"execute"}));
    INFO(rest.all());
    REQUIRE(rest.exit_code == 0);
    auto back = run_tool(flyway(dir, db, {"rollback", "--to", "1.2", "--confirm", db.name()}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,1.2");
    CHECK(db.scalar("SELECT to_regclass('ten') IS NULL AND to_regclass('two_one') IS NULL "
                    "AND to_regclass('two') IS NOT NULL") == "t");
}

TEST_CASE("flyway: 1.2 and 1.2.0 are the same version") {
    MigrationDir dir;
    dir.write("V1.2__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V1.2.0__b.sql", "CREATE TABLE b (id int);\n");
    TestDatabase db;
    auto lint = run_tool(flyway(dir, db, {"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 3);
    CHECK(lint.err.find("duplicate version 1.2") != std::string::npos);
}

TEST_CASE("adopt --from flyway: a BASELINE row means every version up to it is applied") {
    MigrationDir dir;
    write_flyway(dir);
    TestDatabase db;
    db.query(
        "CREATE TABLE base (id int); CREATE TABLE two (id int); "
        "CREATE TABLE two_one (id int)");
    // flyway-database-postgresql .../postgresql/createMetaDataTable.sql
    db.query(
        "CREATE TABLE \"public\".\"flyway_schema_history\" (\n"
        "    \"installed_rank\" INT NOT NULL,\n    \"version\" VARCHAR(50),\n"
        "    \"description\" VARCHAR(200) NOT NULL,\n    \"type\" VARCHAR(20) NOT NULL,\n"
        "    \"script\" VARCHAR(1000) NOT NULL,\n    \"checksum\" INTEGER,\n"
        "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
        "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
        "    \"execution_time\" INTEGER NOT NULL,\n    \"success\" BOOLEAN NOT NULL\n);\n"
        "ALTER TABLE \"public\".\"flyway_schema_history\" ADD CONSTRAINT "
        "\"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\")");
    // `flyway baseline -baselineVersion=1.2` writes one BASELINE row; then
    // `flyway migrate` applied 1.2.1 (its version as written, '_' read as '.').
    db.query(
        "INSERT INTO flyway_schema_history VALUES "
        "(1, '1.2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, "
        "'postgres', now(), 0, true), "
        "(2, '1.2.1', 'two one', 'SQL', 'V1_2_1__two_one.sql', 42, 'postgres', now(), 3, true)");

    auto adopt = run_tool(flyway(dir, db, {"adopt", "--from", "flyway"}));
    INFO(adopt.all());
    REQUIRE(adopt.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,1.2,1.2.1");
    auto run = run_tool(flyway(dir, db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1,1.2,1.2.1,1.10");
    CHECK(db.scalar("SELECT to_regclass('ten') IS NOT NULL") == "t");
}

}  // namespace versions_test
