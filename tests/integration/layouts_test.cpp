// Other tools' migration layouts against a real PostgreSQL: each fixture
// project under tests/fixtures/layouts (written from the tool's documentation,
// cited in its README.md) lints clean, shows three pending migrations, executes
// to the schema the native equivalent gives, and rolls back through its downs.
#include <catch2/catch.hpp>

#include "support/fixtures.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace layouts_test {

using namespace sm::test;

namespace {

std::vector<std::string> in_layout(const std::string& tool, const TestDatabase& db,
                                   std::vector<std::string> args) {
    std::vector<std::string> all = {"--migrations-dir", (layouts_dir() / tool).string(),
                                    "--layout",         tool,
                                    "--database-url",   db.url()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

// The schema the native project ends in.
const std::string& native_schema() {
    static const std::string schema = [] {
        TestDatabase db;
        auto run = run_tool(in_layout("native", db, {"execute"}));
        INFO(run.all());
        REQUIRE(run.exit_code == 0);
        return db.schema_dump();
    }();
    return schema;
}

// lint, status, execute, status, and the schema; returns the versions recorded.
std::string lint_status_execute(const std::string& tool, const TestDatabase& db) {
    INFO(tool);
    auto lint = run_tool(in_layout(tool, db, {"lint"}));
    INFO(lint.all());
    CHECK(lint.exit_code == 0);
    CHECK(lint.out.find("3 file(s)") != std::string::npos);

    auto before = run_tool(in_layout(tool, db, {"status"}));
    INFO(before.all());
    CHECK(before.exit_code == 10);
    CHECK(before.out.find("0 applied, 3 pending") != std::string::npos);

    auto plan = run_tool(in_layout(tool, db, {"plan"}));
    INFO(plan.all());
    CHECK(plan.exit_code == 0);
    // The tool's no-transaction marker reaches the plan, as it reaches execute.
    CHECK(plan.out.find("index_users_email  [no transaction, statement by statement") !=
          std::string::npos);
    CHECK(plan.out.find("verdict: allowed") != std::string::npos);

    auto run = run_tool(in_layout(tool, db, {"execute"}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);

    auto after = run_tool(in_layout(tool, db, {"status"}));
    INFO(after.all());
    CHECK(after.exit_code == 0);
    CHECK(after.out.find("3 applied, 0 pending") != std::string::npos);
    CHECK(db.schema_dump() == native_schema());
    return db.scalar(
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM "
        "safe_migrate.history");
}

// Rolls back to the first migration through the layout's downs.
void rollback_to_first(const std::string& tool, const TestDatabase& db, const std::string& first) {
    auto back = run_tool(in_layout(tool, db, {"rollback", "--to", first}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('posts', "
                    "'users_email_idx')") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
}

}  // namespace

TEST_CASE("layout dbmate: lint, status, execute and rollback of its sections") {
    TestDatabase db;
    CHECK(lint_status_execute("dbmate", db) == "20240101090000,20240102090000,20240103090000");
    // The concurrent index ran outside a transaction (transaction:false), as
    // PostgreSQL requires; the down sections run on rollback.
    auto back = run_tool(in_layout("dbmate", db, {"rollback", "--to", "20240101090000"}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('posts', "
                    "'users_email_idx')") == "0");
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'users'") == "1");
}

TEST_CASE("layout golang-migrate: lint, status, execute and rollback") {
    TestDatabase db;
    CHECK(lint_status_execute("golang-migrate", db) == "1,2,3");
    rollback_to_first("golang-migrate", db, "1");
}

TEST_CASE("layout goose: lint, status, execute and rollback") {
    TestDatabase db;
    CHECK(lint_status_execute("goose", db) == "20240101090000,20240102090000,20240103090000");
    auto back = run_tool(in_layout("goose", db, {"rollback", "--to", "20240101090000"}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'posts'") == "0");
}

TEST_CASE("layout diesel: lint, status, execute and rollback of its directories") {
    TestDatabase db;
    CHECK(lint_status_execute("diesel", db) == "20240101090000,20240102090000,20240103090000");
    // The index's down runs outside a transaction (metadata.toml).
    rollback_to_first("diesel", db, "20240101090000");
}

TEST_CASE("layout prisma: rollback refuses, as prisma has no downs") {
    TestDatabase db;
    REQUIRE(run_tool(in_layout("prisma", db, {"execute"})).exit_code == 0);
    auto back = run_tool(in_layout("prisma", db, {"rollback"}));
    INFO(back.all());
    CHECK(back.exit_code == 3);
    CHECK(
        back.err.find(
            "cannot roll back:\n  no down: prisma migrations have none (" +
            (layouts_dir() / "prisma" / "20240103090000_create_posts" / "migration.sql").string() +
            ")") != std::string::npos);
    CHECK(back.err.find("hint: Nothing was rolled back. Undo the change with a new migration, "
                        "or restore a backup.") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "3");
}

TEST_CASE("layout prisma: lint, status and execute of its directories") {
    TestDatabase db;
    CHECK(lint_status_execute("prisma", db) == "20240101090000,20240102090000,20240103090000");
}

TEST_CASE("layout flyway: lint, status, execute and rollback through its undo files") {
    TestDatabase db;
    CHECK(lint_status_execute("flyway", db) == "1,2,3");
    auto back = run_tool(in_layout("flyway", db, {"rollback", "--to", "2"}));
    INFO(back.all());
    REQUIRE(back.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'posts'") == "0");
}

TEST_CASE("an unset layout on another tool's directory is exit 3 saying how to set it") {
    TestDatabase db;
    for (const std::string command : {"status", "execute", "lint", "plan"}) {
        INFO(command);
        auto run = run_tool({"--migrations-dir", (layouts_dir() / "diesel").string(),
                             "--database-url", db.url(), command});
        INFO(run.all());
        CHECK(run.exit_code == 3);
        CHECK(run.err.find("looks like a diesel project (2024-01-01-090000_create_users/up.sql "
                           "is a diesel migration), not safe-migrate's native layout") !=
              std::string::npos);
        CHECK(run.err.find("hint: Set layout = \"diesel\" at the top of safe-migrate.toml, or "
                           "pass --layout diesel") != std::string::npos);
    }
    CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'safe_migrate'") == "0");
}

TEST_CASE("the unset-layout hint works both ways: its command, and the config key") {
    TestDatabase db;
    std::vector<std::string> base = {"--migrations-dir", (layouts_dir() / "diesel").string(),
                                     "--database-url", db.url()};
    auto run = run_tool({base[0], base[1], base[2], base[3], "rollback"});
    INFO(run.all());
    CHECK(run.exit_code == 3);
    std::string hint = run.err.substr(run.err.find("hint: "));
    std::vector<std::string> hinted = hinted_args(hint.substr(hint.find("(safe-migrate")));
    REQUIRE(hinted == std::vector<std::string>{"--layout", "diesel", "status"});
    base.insert(base.end(), hinted.begin(), hinted.end());
    auto status = run_tool(base);
    INFO(status.all());
    CHECK(status.exit_code == 10);
    CHECK(status.out.find("0 applied, 3 pending") != std::string::npos);

    MigrationDir project;
    project.write("safe-migrate.toml", "layout = \"diesel\"\nmigrations_dir = \"" +
                                           (layouts_dir() / "diesel").string() + "\"\n");
    auto configured = run_tool({"--config", (project.path() / "safe-migrate.toml").string(),
                                "--database-url", db.url(), "status"});
    INFO(configured.all());
    CHECK(configured.exit_code == 10);
    CHECK(configured.out.find("0 applied, 3 pending") != std::string::npos);
}

TEST_CASE("lint reads a dbmate file's up section only, at the file's line numbers") {
    MigrationDir dir;
    dir.write("20240101000000_drop.sql",
              "-- migrate:up\n"
              "ALTER TABLE accounts ADD COLUMN note text;\n"
              "ALTER TABLE accounts DROP COLUMN legacy;\n"
              "\n"
              "-- migrate:down\n"
              "DROP TABLE accounts;\n");
    auto lint = run_tool({"--layout", "dbmate", "lint", dir.path().string()});
    INFO(lint.all());
    CHECK(lint.exit_code == 4);
    CHECK(lint.out.find("20240101000000_drop.sql:3") != std::string::npos);
    CHECK(lint.out.find("DROP TABLE") == std::string::npos);
    CHECK(lint.out.find("20240101000000_drop.sql:6") == std::string::npos);
}

}  // namespace layouts_test
