// reset: drop the project's schemas, re-apply every migration, re-seed; never
// on a protected environment or a database recorded as protected.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/test_database.hpp"
#include "support/tool.hpp"

using namespace sm::test;

namespace {

// A config declaring a development and a protected environment.
std::vector<std::string> in_project(const MigrationDir& project, std::vector<std::string> args) {
    project.write("safe-migrate.toml",
                  "[environments.development]\n[environments.production]\nprotected = true\n");
    args.insert(args.begin(), {"--config", (project.path() / "safe-migrate.toml").string(),
                               "--migrations-dir", SM_EXAMPLE_MIGRATIONS});
    return args;
}

}  // namespace

TEST_CASE("reset rebuilds a development database from the migrations and the seeds") {
    TestDatabase db;
    MigrationDir project;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    REQUIRE(run_tool(in_project(project, {"execute"}), env).exit_code == 0);
    REQUIRE(run_tool(in_project(project, {"--env", "development", "seed", "run"}), env).exit_code ==
            0);
    std::string schema = db.schema_dump();
    std::string fingerprint =
        "SELECT md5(string_agg(u.email || o.total_cents, ',' ORDER BY u.email, o.placed_at, "
        "o.total_cents)) FROM orders o JOIN users u ON u.id = o.user_id";
    std::string data = db.scalar(fingerprint);
    db.query(
        "CREATE TABLE public.scratch (x int); INSERT INTO users (email) VALUES "
        "('stray@example.test'); DELETE FROM orders WHERE id % 2 = 0");

    auto unconfirmed = run_tool(in_project(project, {"--env", "development", "reset"}), env);
    CHECK(unconfirmed.exit_code == 2);
    CHECK(unconfirmed.err.find("add --confirm") != std::string::npos);
    auto no_env = run_tool(in_project(project, {"reset", "--confirm"}), env);
    CHECK(no_env.exit_code == 2);
    CHECK(db.scalar("SELECT to_regclass('public.scratch') IS NOT NULL") == "t");

    auto reset = run_tool(in_project(project, {"--env", "development", "reset", "--confirm"}), env);
    INFO(reset.all());
    REQUIRE(reset.exit_code == 0);
    CHECK(reset.out.find("dropped schemas: public, safe_migrate") != std::string::npos);
    CHECK(reset.out.find("reset finished: 12 migration(s) applied, 4 seed(s) run") !=
          std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('public.scratch') IS NULL") == "t");
    CHECK(db.schema_dump() == schema);
    CHECK(db.scalar(fingerprint) == data);
    CHECK(db.scalar("SELECT count(*) FROM users") == "51");  // 50 and the developer account
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "12");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.seeds") == "4");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'reset.finished'") ==
          "1");
    // public is back with its usual owner and privileges.
    CHECK(db.scalar("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'") ==
          "pg_database_owner");
    CHECK(db.scalar("SELECT has_schema_privilege('public', 'public', 'USAGE')") == "t");
}

TEST_CASE("reset refuses a protected environment, and a database recorded as protected") {
    TestDatabase db;
    MigrationDir project;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};

    auto protected_env =
        run_tool(in_project(project, {"--env", "production", "reset", "--confirm"}), env);
    CHECK(protected_env.exit_code == 8);
    CHECK(protected_env.err.find("safe-migrate: error: environment 'production' is protected: "
                                 "reset never runs there") != std::string::npos);
    CHECK(db.scalar("SELECT to_regnamespace('safe_migrate') IS NULL") == "t");

    REQUIRE(run_tool(in_project(project, {"--env", "production", "execute", "--skip-backup",
                                          "--reason", "test"}),
                     env)
                .exit_code == 0);
    auto recorded =
        run_tool(in_project(project, {"--env", "development", "reset", "--confirm"}), env);
    CHECK(recorded.exit_code == 8);
    CHECK(recorded.err.find("reset refused: the target is recorded as protected (database '" +
                            db.name() + "' on system ") != std::string::npos);
    CHECK(recorded.err.find("recorded for environment 'production'") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "12");
}
