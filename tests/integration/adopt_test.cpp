// `adopt --from TOOL` against a real PostgreSQL. Each test leaves a database as
// the tool would: the first two migrations of its fixture project
// (tests/fixtures/layouts/<tool>) applied, and its history table created with
// the DDL from the tool's source and filled as the tool fills it. Then adopt,
// status, execute of the rest (ending in the native project's schema), and
// each refusal.
#include <catch2/catch.hpp>

#include "support/fixtures.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace adopt_test {

using namespace sm::test;

namespace {

// The DDL each tool runs to create its history table on PostgreSQL, as in its source:
const std::map<std::string, std::string>& ddl_of() {
    static const std::map<std::string, std::string> k_ddl = {
        // amacneil/dbmate pkg/driver/postgres/postgres.go, CreateMigrationsTable
        {"dbmate",
         "create table if not exists public.schema_migrations (version varchar primary key)"},
        // golang-migrate/migrate database/postgres/postgres.go, ensureVersionTable
        {"golang-migrate",
         "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version bigint not null primary key, "
         "dirty boolean not null)"},
        // pressly/goose internal/dialect/dialectquery/postgres.go, CreateTable
        {"goose",
         "CREATE TABLE goose_db_version (\n\t\tid serial NOT NULL,\n\t\tversion_id bigint NOT "
         "NULL,\n"
         "\t\tis_applied boolean NOT NULL,\n\t\ttstamp timestamp NULL default now(),\n"
         "\t\tPRIMARY KEY(id)\n\t)"},
        // diesel-rs/diesel diesel_migrations/src/migration/setup_migration_table.sql
        {"diesel",
         "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (\n"
         "       version VARCHAR(50) PRIMARY KEY NOT NULL,\n"
         "       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n)"},
        // prisma/prisma-engines schema-engine sql-schema-connector, the postgres
        // flavour's create_migrations_table
        {"prisma",
         "CREATE TABLE _prisma_migrations (\n"
         "    id                      VARCHAR(36) PRIMARY KEY NOT NULL,\n"
         "    checksum                VARCHAR(64) NOT NULL,\n"
         "    finished_at             TIMESTAMPTZ,\n"
         "    migration_name          VARCHAR(255) NOT NULL,\n"
         "    logs                    TEXT,\n"
         "    rolled_back_at          TIMESTAMPTZ,\n"
         "    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
         "    applied_steps_count     INTEGER NOT NULL DEFAULT 0\n)"},
        // flyway/flyway flyway-database-postgresql .../postgresql/createMetaDataTable.sql
        {"flyway",
         "CREATE TABLE \"public\".\"flyway_schema_history\" (\n"
         "    \"installed_rank\" INT NOT NULL,\n    \"version\" VARCHAR(50),\n"
         "    \"description\" VARCHAR(200) NOT NULL,\n    \"type\" VARCHAR(20) NOT NULL,\n"
         "    \"script\" VARCHAR(1000) NOT NULL,\n    \"checksum\" INTEGER,\n"
         "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
         "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
         "    \"execution_time\" INTEGER NOT NULL,\n    \"success\" BOOLEAN NOT NULL\n);\n"
         "ALTER TABLE \"public\".\"flyway_schema_history\" ADD CONSTRAINT "
         "\"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");\n"
         "CREATE INDEX \"flyway_schema_history_s_idx\" ON \"public\".\"flyway_schema_history\" "
         "(\"success\");"},
    };
    return k_ddl;
}

// The rows each tool writes after applying the first two fixture migrations.
const std::map<std::string, std::string>& two_applied_of() {
    static const std::map<std::string, std::string> k_two_applied = {
        // dbmate: InsertMigration, one row per version
        {"dbmate",
         "insert into public.schema_migrations (version) values ('20240101090000');"
         "insert into public.schema_migrations (version) values ('20240102090000')"},
        // golang-migrate: SetVersion truncates and inserts the one row
        {"golang-migrate",
         "TRUNCATE \"schema_migrations\"; INSERT INTO \"schema_migrations\" (version, dirty) "
         "VALUES "
         "(2, false)"},
        // goose: version 0 when the table is created, then one row per migration; a
        // migration applied and taken down again has a later is_applied = false row
        {"goose",
         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);"
         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20240101090000, true);"
         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20240102090000, true);"
         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20240103090000, true);"
         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20240103090000, false)"},
        // diesel: the directory name's digits
        {"diesel",
         "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101090000');"
         "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240102090000')"},
        // prisma: one row per migration directory, finished_at set when it succeeded
        {"prisma",
         "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, "
         "applied_steps_count) VALUES (md5('a'), md5('x') || md5('y'), now(), "
         "'20240101090000_create_users', 1), (md5('b'), md5('z') || md5('w'), now(), "
         "'20240102090000_index_users_email', 1)"},
        // flyway: one row per script, by installed_rank
        {"flyway",
         "INSERT INTO \"public\".\"flyway_schema_history\" (\"installed_rank\", \"version\", "
         "\"description\", \"type\", \"script\", \"checksum\", \"installed_by\", "
         "\"execution_time\", "
         "\"success\") VALUES (1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1234, "
         "'postgres', 7, true), (2, '2', 'index users email', 'SQL', "
         "'V2__index_users_email.sql', -5678, 'postgres', 9, true)"},
    };
    return k_two_applied;
}

// The first two fixture migrations' effects, as the tool left them.
void apply_first_two(const TestDatabase& db) {
    db.query(sm::util::read_file(layouts_dir() / "native" / "1_create_users.up.sql"));
    db.query("CREATE INDEX CONCURRENTLY users_email_idx ON users (email)");
}

void as_tool_left_it(const TestDatabase& db, const std::string& tool) {
    apply_first_two(db);
    db.query(ddl_of().at(tool));
    db.query(two_applied_of().at(tool));
}

std::vector<std::string> with(const std::string& tool, const TestDatabase& db,
                              std::vector<std::string> args) {
    std::vector<std::string> all = {"--migrations-dir", (layouts_dir() / tool).string(),
                                    "--database-url", db.url()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

// The schema the native project ends in.
std::string native_schema() {
    TestDatabase db;
    auto run = run_tool(with("native", db, {"execute"}));
    REQUIRE(run.exit_code == 0);
    return db.schema_dump();
}

void adopt_then_execute(const std::string& tool, const std::string& first,
                        const std::string& second) {
    TestDatabase db;
    as_tool_left_it(db, tool);
    std::string tool_rows =
        db.scalar("SELECT count(*) FROM " +
                  std::string(tool == "golang-migrate" || tool == "dbmate" ? "schema_migrations"
                              : tool == "goose"                            ? "goose_db_version"
                              : tool == "diesel" ? "__diesel_schema_migrations"
                              : tool == "prisma" ? "_prisma_migrations"
                                                 : "flyway_schema_history"));

    auto dry = run_tool(with(tool, db, {"adopt", "--from", tool, "--dry-run"}));
    INFO(dry.all());
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.out.find("would adopt " + first) != std::string::npos);
    CHECK(dry.out.find("would record 2 migration(s) from " + tool) != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");

    auto adopt = run_tool(with(tool, db, {"adopt", "--from", tool, "--format", "json"}));
    INFO(adopt.all());
    REQUIRE(adopt.exit_code == 0);
    CHECK(adopt.out.find("\"result\": \"ok\"") != std::string::npos);
    CHECK(db.scalar("SELECT string_agg(version || '_' || name, ',' ORDER BY version) FROM "
                    "safe_migrate.history") == first + "," + second);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'adopt'") == "1");

    auto status = run_tool(with(tool, db, {"--layout", tool, "status"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);
    CHECK(status.out.find("2 applied, 1 pending") != std::string::npos);

    auto run = run_tool(with(tool, db, {"--layout", tool, "execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
    CHECK(db.schema_dump().find("posts_title_lower") != std::string::npos);
    // The tool's table is as it was: adopt changes nothing else.
    CHECK(db.scalar("SELECT count(*) FROM " +
                    std::string(tool == "dbmate" || tool == "golang-migrate" ? "schema_migrations"
                                : tool == "goose"                            ? "goose_db_version"
                                : tool == "diesel" ? "__diesel_schema_migrations"
                                : tool == "prisma" ? "_prisma_migrations"
                                                   : "flyway_schema_history")) == tool_rows);
}

}  // namespace

TEST_CASE("adopt --from dbmate: records its applied migrations, and execute applies the rest") {
    adopt_then_execute("dbmate", "20240101090000_create_users", "20240102090000_index_users_email");
}

TEST_CASE("adopt --from golang-migrate: its one version means everything up to it") {
    adopt_then_execute("golang-migrate", "1_create_users", "2_index_users_email");
}

TEST_CASE("adopt --from goose: the latest row per version, version 0 skipped") {
    adopt_then_execute("goose", "20240101090000_create_users", "20240102090000_index_users_email");
}

TEST_CASE("adopt --from diesel: versions are the directory names' digits") {
    adopt_then_execute("diesel", "20240101090000_create_users", "20240102090000_index_users_email");
}

TEST_CASE("adopt --from prisma: finished, not rolled back") {
    adopt_then_execute("prisma", "20240101090000_create_users", "20240102090000_index_users_email");
}

TEST_CASE("adopt --from flyway: successful SQL rows, integer versions") {
    adopt_then_execute("flyway", "1_create_users", "2_index_users_email");
}

TEST_CASE("adopted then executed ends in the native project's schema") {
    TestDatabase db;
    as_tool_left_it(db, "dbmate");
    REQUIRE(run_tool(with("dbmate", db, {"adopt", "--from", "dbmate"})).exit_code == 0);
    REQUIRE(run_tool(with("dbmate", db, {"--layout", "dbmate", "execute"})).exit_code == 0);
    CHECK(db.schema_dump().find("schema_migrations") != std::string::npos);
    // Apart from dbmate's own table, the schema is the native project's.
    db.query("DROP TABLE public.schema_migrations");
    CHECK(db.schema_dump() == native_schema());
}

TEST_CASE("adopt refuses a dirty golang-migrate history, recording nothing") {
    TestDatabase db;
    apply_first_two(db);
    db.query(ddl_of().at("golang-migrate"));
    db.query("INSERT INTO \"schema_migrations\" (version, dirty) VALUES (2, true)");
    auto run = run_tool(with("golang-migrate", db, {"adopt", "--from", "golang-migrate"}));
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("golang-migrate's history (schema_migrations) cannot be adopted as it "
                       "is:\n  version 2 is dirty") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");
}

TEST_CASE("adopt refuses failed prisma and flyway rows, listing them") {
    TestDatabase db;
    apply_first_two(db);
    db.query(ddl_of().at("prisma"));
    db.query(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES "
        "(md5('a'), md5('x'), now(), '20240101090000_create_users'), "
        "(md5('b'), md5('y'), NULL, '20240102090000_index_users_email')");
    auto prisma = run_tool(with("prisma", db, {"adopt", "--from", "prisma"}));
    INFO(prisma.all());
    CHECK(prisma.exit_code == 3);
    CHECK(prisma.err.find("migration 20240102090000_index_users_email failed") !=
          std::string::npos);

    db.query(ddl_of().at("flyway"));
    db.query(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, "
        "script, checksum, installed_by, execution_time, success) VALUES "
        "(1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1, 'postgres', 1, true), "
        "(2, '2', 'index users email', 'SQL', 'V2__index_users_email.sql', 2, 'postgres', 1, "
        "false)");
    auto flyway = run_tool(with("flyway", db, {"adopt", "--from", "flyway"}));
    INFO(flyway.all());
    CHECK(flyway.exit_code == 3);
    CHECK(flyway.err.find("migration V2__index_users_email.sql failed (success = false)") !=
          std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");
}

TEST_CASE("adopt refuses a history naming a migration with no local file") {
    TestDatabase db;
    as_tool_left_it(db, "dbmate");
    db.query("insert into public.schema_migrations (version) values ('20231231000000')");
    auto run = run_tool(with("dbmate", db, {"adopt", "--from", "dbmate"}));
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("dbmate's history (schema_migrations) names 1 migration(s) with no file "
                       "in") != std::string::npos);
    CHECK(run.err.find("\n  20231231000000") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");
}

TEST_CASE(
    "adopt: a local file older than the tool's head but not in its history is out of "
    "order (exit 11)") {
    TestDatabase db;
    apply_first_two(db);
    db.query(ddl_of().at("diesel"));
    db.query(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101090000'), "
        "('20240103090000')");
    auto run = run_tool(with("diesel", db, {"adopt", "--from", "diesel"}));
    INFO(run.all());
    CHECK(run.exit_code == 11);
    CHECK(run.err.find("1 local migration(s) older than diesel's newest applied one "
                       "(20240103090000) are not in its history (out of order):\n  "
                       "20240102090000_index_users_email") != std::string::npos);
    CHECK(run.err.find("hint: Nothing was recorded. Apply them with `diesel migration run` "
                       "first") != std::string::npos);
}

TEST_CASE("adopt with no history table of the tool is exit 3") {
    TestDatabase db;
    auto run = run_tool(with("goose", db, {"adopt", "--from", "goose"}));
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("no goose_db_version table in the target") != std::string::npos);
}

TEST_CASE("execute failing with 'already exists' on a dbmate database hints at adopt") {
    TestDatabase db;
    as_tool_left_it(db, "dbmate");
    auto run = run_tool(with("dbmate", db, {"--layout", "dbmate", "execute"}));
    INFO(run.all());
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("already exists") != std::string::npos);
    CHECK(run.err.find("hint: This database holds dbmate's history (schema_migrations): run "
                       "`safe-migrate adopt --from dbmate` to record what dbmate applied, then "
                       "execute again.") != std::string::npos);
    // The hint's command, then execute again: the rest applies.
    std::string hint = run.err.substr(run.err.find("hint: "));
    std::vector<std::string> hinted = hinted_args(hint.substr(0, hint.find('\n')));
    REQUIRE(hinted == std::vector<std::string>{"adopt", "--from", "dbmate"});
    auto adopted = run_tool(with("dbmate", db, hinted));
    INFO(adopted.all());
    CHECK(adopted.exit_code == 0);
    CHECK(run_tool(with("dbmate", db, {"--layout", "dbmate", "execute"})).exit_code == 0);
}

TEST_CASE("adopt: a rolled-back prisma row and a flyway undo are not applied, nor refused") {
    // prisma migrate resolve --rolled-back sets rolled_back_at on a failed row;
    // flyway undo adds an UNDO_SQL row for the version it undid.
    const std::pair<std::string, std::string> cases[] = {
        {"prisma",
         "INSERT INTO _prisma_migrations (id, checksum, finished_at, rolled_back_at, "
         "migration_name) VALUES (md5('a'), md5('x'), now(), NULL, "
         "'20240101090000_create_users'), (md5('b'), md5('y'), NULL, now(), "
         "'20240102090000_index_users_email')"},
        {"flyway",
         "INSERT INTO flyway_schema_history (installed_rank, version, description, type, "
         "script, checksum, installed_by, execution_time, success) VALUES "
         "(1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1, 'postgres', 1, true), "
         "(2, '2', 'index users email', 'SQL', 'V2__index_users_email.sql', 2, 'postgres', 1, "
         "true), (3, '2', 'index users email', 'UNDO_SQL', 'U2__index_users_email.sql', 3, "
         "'postgres', 1, true)"},
    };
    for (const auto& [tool, rows] : cases) {
        INFO(tool);
        TestDatabase db;
        db.query(sm::util::read_file(layouts_dir() / "native" / "1_create_users.up.sql"));
        db.query(ddl_of().at(tool));
        db.query(rows);
        auto adopt = run_tool(with(tool, db, {"adopt", "--from", tool}));
        INFO(adopt.all());
        REQUIRE(adopt.exit_code == 0);
        CHECK(db.scalar("SELECT string_agg(name, ',') FROM safe_migrate.history") ==
              "create_users");
        auto run = run_tool(with(tool, db, {"--layout", tool, "execute"}));
        INFO(run.all());
        CHECK(run.exit_code == 0);
        CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
    }
}

TEST_CASE("adopt refuses golang-migrate's schema_migrations read as dbmate's, and back") {
    TestDatabase db;
    as_tool_left_it(db, "golang-migrate");
    auto run = run_tool(with("dbmate", db, {"adopt", "--from", "dbmate"}));
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("schema_migrations has golang-migrate's columns (version, dirty), not "
                       "dbmate's") != std::string::npos);

    TestDatabase other;
    as_tool_left_it(other, "dbmate");
    auto back = run_tool(with("golang-migrate", other, {"adopt", "--from", "golang-migrate"}));
    INFO(back.all());
    CHECK(back.exit_code == 3);
    CHECK(back.err.find("schema_migrations has no dirty column: it is not golang-migrate's") !=
          std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");
    CHECK(other.scalar("SELECT to_regclass('safe_migrate.history') IS NULL") == "t");
}

TEST_CASE("adopt --from flyway with --layout native: flyway's history, native files") {
    TestDatabase db;
    as_tool_left_it(db, "flyway");
    auto adopt = run_tool(with("native", db, {"--layout", "native", "adopt", "--from", "flyway"}));
    INFO(adopt.all());
    REQUIRE(adopt.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(version || '_' || name, ',' ORDER BY version_key) FROM "
                    "safe_migrate.history") == "1_create_users,2_index_users_email");
    auto status = run_tool(with("native", db, {"status"}));
    INFO(status.all());
    CHECK(status.exit_code == 10);
    CHECK(status.out.find("2 applied, 1 pending") != std::string::npos);
}

TEST_CASE("execute's 'already exists' hint names each tool whose history the database holds") {
    for (const std::string tool :
         {"flyway", "dbmate", "golang-migrate", "goose", "diesel", "prisma"}) {
        INFO(tool);
        TestDatabase db;
        as_tool_left_it(db, tool);
        auto run = run_tool(with(tool, db, {"--layout", tool, "execute"}));
        INFO(run.all());
        CHECK(run.exit_code == 1);
        CHECK(run.err.find("hint: This database holds " + tool + "'s history (") !=
              std::string::npos);
        CHECK(run.err.find("run `safe-migrate adopt --from " + tool + "`") != std::string::npos);
    }
}

}  // namespace adopt_test
