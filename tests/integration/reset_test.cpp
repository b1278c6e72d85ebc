// reset: drop the project's schemas, re-apply every migration, re-seed; never
// on a protected environment or a database recorded as protected.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace reset_test {

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
    std::string history_schema = db.scalar("SELECT to_regnamespace('safe_migrate')::oid");
    std::string events_before = db.scalar("SELECT count(*) FROM safe_migrate.events");
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
    CHECK(reset.out.find("dropped schemas: public\n") != std::string::npos);
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
    // The safe_migrate schema is kept: history and seeds were cleared and
    // rewritten, the append-only events survive (and record the reset).
    CHECK(db.scalar("SELECT to_regnamespace('safe_migrate')::oid") == history_schema);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE id <= (SELECT min(id) FROM "
                    "safe_migrate.events WHERE kind = 'reset.started')") ==
          std::to_string(std::stoi(events_before) + 1));
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'run.started'") == "1");
    CHECK(db.scalar("SELECT string_agg(kind, ',' ORDER BY id) FROM safe_migrate.events WHERE "
                    "kind LIKE 'reset.%'") == "reset.started,reset.dropped,reset.finished");
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

namespace {

// The migrations in dir, with a config declaring the environments the tests use
// (--env names a declared environment).
std::vector<std::string> with_dir(const MigrationDir& dir, std::vector<std::string> args) {
    dir.write("environments.toml", "[environments.dev]\n[environments.development]\n");
    args.insert(args.begin(), {"--config", (dir.path() / "environments.toml").string(),
                               "--migrations-dir", dir.path().string()});
    return args;
}

void put(const MigrationDir& dir, const std::string& relative, const std::string& content) {
    std::filesystem::create_directories((dir.path() / relative).parent_path());
    dir.write(relative, content);
}

}  // namespace

TEST_CASE("reset drops only the schemas the migrations create, never those they reference") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    // auth is the platform's: made by hand, before any migration.
    db.query(
        "CREATE SCHEMA auth; CREATE TABLE auth.users (id int PRIMARY KEY, email text); "
        "INSERT INTO auth.users VALUES (1, 'ann@example.test'), (2, 'bob@example.test')");
    put(dir, "1_app.up.sql",
        "-- No CREATE SCHEMA auth here: the platform owns it.\n"
        "CREATE SCHEMA app;\n"
        "CREATE TABLE app.notes (id int);\n"
        "CREATE TABLE accounts (id int PRIMARY KEY, user_id int NOT NULL REFERENCES auth.users "
        "(id));\n"
        "COMMENT ON TABLE accounts IS 'create schema auth';\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    db.query("INSERT INTO accounts VALUES (1, 1); INSERT INTO app.notes VALUES (1)");

    auto reset = run_tool(with_dir(dir, {"--env", "development", "reset", "--confirm"}), env);
    INFO(reset.all());
    REQUIRE(reset.exit_code == 0);
    CHECK(reset.out.find("dropped schemas: app, public\n") != std::string::npos);
    CHECK(db.scalar("SELECT string_agg(email, ',' ORDER BY id) FROM auth.users") ==
          "ann@example.test,bob@example.test");
    CHECK(db.scalar("SELECT count(*) FROM accounts") == "0");
    CHECK(db.scalar("SELECT count(*) FROM app.notes") == "0");
    CHECK(
        db.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.accounts'::regclass "
                  "AND confrelid = 'auth.users'::regclass") == "1");
}

TEST_CASE("reset refuses to drop an extension no migration creates, and recreates one that does") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    db.query("CREATE EXTENSION citext");  // installed by hand, into public
    put(dir, "1_t.up.sql", "CREATE TABLE t (email text);\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    db.query("INSERT INTO t VALUES ('kept')");

    auto refused = run_tool(with_dir(dir, {"--env", "development", "reset", "--confirm"}), env);
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("safe-migrate: error: reset refused: schemas it would drop hold "
                           "extensions that no migration creates: citext (schema public)") !=
          std::string::npos);
    CHECK(refused.err.find("hint: Nothing was dropped.") != std::string::npos);
    CHECK(db.scalar("SELECT email FROM t") == "kept");
    CHECK(db.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citext'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind LIKE 'reset.%'") == "0");

    // Once a migration creates it, reset drops it with public and the migration
    // brings it back.
    put(dir, "2_citext.up.sql", "CREATE EXTENSION IF NOT EXISTS citext;\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    auto reset = run_tool(with_dir(dir, {"--env", "development", "reset", "--confirm"}), env);
    INFO(reset.all());
    CHECK(reset.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM t") == "0");
    CHECK(db.scalar("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = "
                    "'citext'") == "public");
}

TEST_CASE("reset checks the seeds' dependencies before dropping anything") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    put(dir, "1_t.up.sql", "CREATE TABLE t (id int);\n");
    put(dir, "seeds/dev/010_a.sql", "-- safe-migrate: requires=020_b\nINSERT INTO t VALUES (1);\n");
    put(dir, "seeds/dev/020_b.sql", "-- safe-migrate: requires=010_a\nINSERT INTO t VALUES (2);\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    db.query("INSERT INTO t VALUES (42)");

    auto reset = run_tool(with_dir(dir, {"--env", "dev", "reset", "--confirm"}), env);
    CHECK(reset.exit_code == 3);
    CHECK(reset.err.find("safe-migrate: error: seed dependency cycle: 010_a -> 020_b -> 010_a") !=
          std::string::npos);
    CHECK(reset.err.find("hint: Nothing was dropped.") != std::string::npos);
    CHECK(db.scalar("SELECT string_agg(id::text, ',') FROM t") == "42");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind LIKE 'reset.%'") == "0");
}

TEST_CASE("a reset that fails re-applying a migration records it and says how far it got") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    db.query("CREATE TABLE legacy (id int)");  // made by hand, in no migration
    put(dir, "1_a.up.sql", "CREATE TABLE a (id int);\n");
    put(dir, "2_legacy_note.up.sql", "ALTER TABLE legacy ADD COLUMN note text;\n");
    put(dir, "3_c.up.sql", "CREATE TABLE c (id int);\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);

    auto reset = run_tool(with_dir(dir, {"--env", "dev", "reset", "--confirm"}), env);
    INFO(reset.all());
    CHECK(reset.exit_code == 1);
    CHECK(reset.err.find("safe-migrate: error: reset failed at migration 2_legacy_note, after "
                         "dropping the schemas (public) and re-applying 1 of 3 migration(s): ") !=
          std::string::npos);
    CHECK(reset.err.find("relation \"legacy\" does not exist") != std::string::npos);
    CHECK(reset.err.find("hint: The database is only partly rebuilt: its schemas were dropped, 1 "
                         "of 3 migration(s) were re-applied, and it stopped at migration "
                         "2_legacy_note. Fix the migration and run reset again.") !=
          std::string::npos);
    CHECK(db.scalar("SELECT string_agg(version::text, ',') FROM safe_migrate.history") == "1");
    CHECK(db.scalar("SELECT version || ': ' || message FROM safe_migrate.events WHERE kind = "
                    "'reset.failed'") ==
          "2: stopped at migration 2_legacy_note after dropping schemas public and re-applying 1 "
          "of 3 migration(s)");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'reset.finished'") ==
          "0");
}

}  // namespace reset_test
