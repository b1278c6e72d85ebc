// seed run/status/rollback/clear: dependency order, idempotence, re-runnable
// seeds, failures, lock-timeout retries, protected environments, and the example
// project's dataset.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_test {

using namespace sm::test;

namespace {

// Writes a file under dir, creating its directories.
void put(const MigrationDir& dir, const std::string& relative, const std::string& content) {
    std::filesystem::create_directories((dir.path() / relative).parent_path());
    dir.write(relative, content);
}

// The migrations in dir, with a config declaring the environments the tests use
// (--env names a declared environment).
std::vector<std::string> with_dir(const MigrationDir& dir, std::vector<std::string> args) {
    dir.write("environments.toml", "[environments.dev]\n[environments.test]\n");
    args.insert(args.begin(), {"--config", (dir.path() / "environments.toml").string(),
                               "--migrations-dir", dir.path().string()});
    return args;
}

// A project whose seeds log the order they ran in.
void write_logging_project(const MigrationDir& dir) {
    put(dir, "1_log.up.sql", "CREATE TABLE seed_log (seq serial, id text, scale text);\n");
    put(dir, "seeds/010_first.sql",
        "-- safe-migrate: environments=dev\n-- safe-migrate: requires=030_third\n"
        "INSERT INTO seed_log (id, scale) VALUES ('010_first', "
        "current_setting('safe_migrate.seed_scale'));\n");
    put(dir, "seeds/010_first.rollback.sql", "DELETE FROM seed_log WHERE id = '010_first';\n");
    put(dir, "seeds/dev/020_second.sql", "INSERT INTO seed_log (id) VALUES ('020_second');\n");
    put(dir, "seeds/dev/030_third.sql",
        "-- safe-migrate: requires=020_second\nINSERT INTO seed_log (id) VALUES ('030_third');\n");
    put(dir, "seeds/dev/030_third.rollback.sql", "DELETE FROM seed_log WHERE id = '030_third';\n");
    put(dir, "seeds/test/040_other.sql", "INSERT INTO seed_log (id) VALUES ('040_other');\n");
}

}  // namespace

TEST_CASE("seed run applies an environment's seeds in dependency order, once") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    write_logging_project(dir);
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);

    auto pending = run_tool(with_dir(dir, {"--env", "dev", "seed", "status"}), env);
    CHECK(pending.exit_code == 10);

    auto run = run_tool(with_dir(dir, {"seed", "run", "--env", "dev", "--scale", "3"}), env);
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("seeded 3 seed(s) into environment 'dev'") != std::string::npos);
    CHECK(db.scalar("SELECT string_agg(id, ' ' ORDER BY seq) FROM seed_log") ==
          "020_second 030_third 010_first");
    CHECK(db.scalar("SELECT scale FROM seed_log WHERE id = '010_first'") == "3");
    CHECK(db.scalar("SELECT string_agg(id || ':' || environment || ':' || scale, ' ' ORDER BY id) "
                    "FROM safe_migrate.seeds") ==
          "010_first:dev:3 020_second:dev:3 030_third:dev:3");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.seeds WHERE duration_ms >= 0 AND "
                    "length(checksum) = 64 AND applied_at IS NOT NULL") == "3");

    // Twice changes nothing.
    auto again = run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("nothing to seed") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM seed_log") == "3");
    CHECK(db.scalar("SELECT max(runs) FROM safe_migrate.seeds") == "1");

    auto status =
        run_tool(with_dir(dir, {"--env", "dev", "seed", "status", "--format", "json"}), env);
    CHECK(status.exit_code == 0);
    auto json = nlohmann::json::parse(status.out);
    CHECK(json["summary"]["applied"] == 3);
    CHECK(json["seeds"][0]["id"] == "020_second");
    CHECK(json["seeds"][2]["applied"]["scale"] == 3);
}

TEST_CASE("seed run needs --env, and refuses a cycle or a missing dependency naming them") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    write_logging_project(dir);
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);

    auto no_env = run_tool(with_dir(dir, {"seed", "run"}), env);
    CHECK(no_env.exit_code == 2);
    CHECK(no_env.err.find("safe-migrate: error: seed run needs --env") != std::string::npos);

    put(dir, "seeds/dev/020_second.sql",
        "-- safe-migrate: requires=010_first\nINSERT INTO seed_log (id) VALUES ('020_second');\n");
    auto cycle = run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env);
    CHECK(cycle.exit_code == 3);
    CHECK(cycle.err.find("safe-migrate: error: seed dependency cycle: 010_first -> 030_third -> "
                         "020_second -> 010_first") != std::string::npos);
    CHECK(cycle.err.find("hint: Nothing was seeded.") != std::string::npos);
    // The hint fits the command: clear rolled nothing back; status changes nothing.
    auto clear_cycle = run_tool(with_dir(dir, {"seed", "clear", "--env", "dev", "--confirm"}), env);
    CHECK(clear_cycle.exit_code == 3);
    CHECK(clear_cycle.err.find("hint: Nothing was rolled back.") != std::string::npos);
    auto status_cycle = run_tool(with_dir(dir, {"--env", "dev", "seed", "status"}), env);
    CHECK(status_cycle.exit_code == 3);
    CHECK(status_cycle.err.find("seed dependency cycle") != std::string::npos);
    CHECK(status_cycle.err.find("Nothing was") == std::string::npos);

    put(dir, "seeds/dev/020_second.sql",
        "-- safe-migrate: requires=040_other, 099_nowhere\nSELECT 1;\n");
    auto missing = run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env);
    CHECK(missing.exit_code == 3);
    std::string file = (dir.path() / "seeds/dev/020_second.sql").string();
    CHECK(missing.err.find(file + ":1: seed 020_second requires 040_other, which is not a seed of "
                                  "environment 'dev'") != std::string::npos);
    CHECK(missing.err.find(file + ":1: seed 020_second requires 099_nowhere, which does not "
                                  "exist") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM seed_log") == "0");
}

TEST_CASE("a failing seed rolls back alone, and changed seeds re-run only when re-runnable") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    put(dir, "1_t.up.sql", "CREATE TABLE t (id text PRIMARY KEY, v int);\n");
    put(dir, "seeds/dev/010_a.sql", "INSERT INTO t VALUES ('a', 1);\n");
    put(dir, "seeds/dev/020_b.sql",
        "-- safe-migrate: rerunnable\nINSERT INTO t VALUES ('b', 1);\n"
        "INSERT INTO t VALUES ('b', 2);\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);

    auto failed = run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("seeding 020_b failed at 020_b.sql:3: ") != std::string::npos);
    CHECK(failed.err.find("(SQLSTATE 23505)") != std::string::npos);
    CHECK(db.scalar("SELECT string_agg(id, ',' ORDER BY id) FROM t") == "a");
    CHECK(db.scalar("SELECT string_agg(id, ',') FROM safe_migrate.seeds") == "010_a");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'seed.failed'") == "1");

    // Fixed: it runs; changed again, being re-runnable, it runs again.
    put(dir, "seeds/dev/020_b.sql",
        "-- safe-migrate: rerunnable\nINSERT INTO t VALUES ('b', 1) ON CONFLICT (id) DO UPDATE "
        "SET v = EXCLUDED.v;\n");
    REQUIRE(run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env).exit_code == 0);
    put(dir, "seeds/dev/020_b.sql",
        "-- safe-migrate: rerunnable\nINSERT INTO t VALUES ('b', 7) ON CONFLICT (id) DO UPDATE "
        "SET v = EXCLUDED.v;\n");
    CHECK(run_tool(with_dir(dir, {"--env", "dev", "seed", "status"}), env).exit_code == 10);
    REQUIRE(run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env).exit_code == 0);
    CHECK(db.scalar("SELECT v FROM t WHERE id = 'b'") == "7");
    CHECK(db.scalar("SELECT runs FROM safe_migrate.seeds WHERE id = '020_b'") == "2");

    // A changed seed that is not re-runnable stops the run before anything runs.
    put(dir, "seeds/dev/010_a.sql", "INSERT INTO t VALUES ('a', 2);\n");
    put(dir, "seeds/dev/030_c.sql", "INSERT INTO t VALUES ('c', 1);\n");
    auto drift = run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env);
    CHECK(drift.exit_code == 11);
    CHECK(drift.err.find("applied seeds changed since they ran:\n  " +
                         (dir.path() / "seeds/dev/010_a.sql").string()) != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM t WHERE id = 'c'") == "0");
    CHECK(run_tool(with_dir(dir, {"--env", "dev", "seed", "status"}), env).exit_code == 11);
}

TEST_CASE("seed rollback runs one seed's rollback file, and clear rolls back dependents first") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    write_logging_project(dir);
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    REQUIRE(run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env).exit_code == 0);

    // rollback needs --env, and the one the seed was applied to: the environment
    // decides whether it is protected.
    auto no_env = run_tool(with_dir(dir, {"seed", "rollback", "--id", "010_first"}), env);
    CHECK(no_env.exit_code == 2);
    CHECK(no_env.err.find("safe-migrate: error: seed rollback needs --env") != std::string::npos);
    auto other_env =
        run_tool(with_dir(dir, {"--env", "test", "seed", "rollback", "--id", "010_first"}), env);
    CHECK(other_env.exit_code == 8);
    CHECK(other_env.err.find("safe-migrate: error: seed 010_first was applied to environment "
                             "'dev', not 'test'") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM seed_log") == "3");

    auto needed =
        run_tool(with_dir(dir, {"--env", "dev", "seed", "rollback", "--id", "030_third"}), env);
    CHECK(needed.exit_code == 3);
    CHECK(needed.err.find("cannot roll back seed 030_third: applied seeds require it: 010_first") !=
          std::string::npos);

    auto one =
        run_tool(with_dir(dir, {"--env", "dev", "seed", "rollback", "--id", "010_first"}), env);
    INFO(one.all());
    CHECK(one.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(id, ' ' ORDER BY seq) FROM seed_log") ==
          "020_second 030_third");
    CHECK(db.scalar("SELECT string_agg(id, ' ' ORDER BY id) FROM safe_migrate.seeds") ==
          "020_second 030_third");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'seed.rolled_back'") ==
          "1");
    auto not_applied =
        run_tool(with_dir(dir, {"--env", "dev", "seed", "rollback", "--id", "010_first"}), env);
    CHECK(not_applied.exit_code == 3);
    CHECK(not_applied.err.find("seed 010_first is not applied") != std::string::npos);

    // clear: 020_second has no rollback file, so nothing is rolled back.
    auto unconfirmed = run_tool(with_dir(dir, {"seed", "clear", "--env", "dev"}), env);
    CHECK(unconfirmed.exit_code == 2);
    auto refused = run_tool(with_dir(dir, {"seed", "clear", "--env", "dev", "--confirm"}), env);
    CHECK(refused.exit_code == 3);
    CHECK(refused.err.find("cannot clear seeds:\n  020_second: rollback file missing: " +
                           (dir.path() / "seeds/dev/020_second.rollback.sql").string()) !=
          std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM seed_log") == "2");

    put(dir, "seeds/dev/020_second.rollback.sql",
        "DELETE FROM seed_log WHERE id = '020_second';\n");
    auto cleared = run_tool(with_dir(dir, {"seed", "clear", "--env", "dev", "--confirm"}), env);
    CHECK(cleared.exit_code == 0);
    CHECK(cleared.out.find("rolling back seed 030_third\n  done in") != std::string::npos);
    CHECK(cleared.out.find("rolled back 2 seed(s) of environment 'dev'") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM seed_log") == "0");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.seeds") == "0");
}

TEST_CASE("a failing seed rollback keeps the seed applied, and says so") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    put(dir, "1_t.up.sql", "CREATE TABLE t (id text);\n");
    put(dir, "seeds/dev/010_a.sql", "INSERT INTO t VALUES ('a');\n");
    put(dir, "seeds/dev/010_a.rollback.sql", "DELETE FROM t;\nDELETE FROM nowhere;\n");
    REQUIRE(run_tool(with_dir(dir, {"execute"}), env).exit_code == 0);
    REQUIRE(run_tool(with_dir(dir, {"seed", "run", "--env", "dev"}), env).exit_code == 0);

    auto failed =
        run_tool(with_dir(dir, {"--env", "dev", "seed", "rollback", "--id", "010_a"}), env);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("rolling back seed 010_a failed at 010_a.rollback.sql:2: ") !=
          std::string::npos);
    CHECK(failed.err.find("hint: Its transaction was rolled back: the seed stays applied, with "
                          "its data. Fix the rollback file and run again.") != std::string::npos);
    CHECK(failed.err.find("Seeds before it") == std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM t") == "1");
    CHECK(db.scalar("SELECT string_agg(id, ',') FROM safe_migrate.seeds") == "010_a");

    auto clear = run_tool(with_dir(dir, {"seed", "clear", "--env", "dev", "--confirm"}), env);
    CHECK(clear.exit_code == 1);
    CHECK(clear.err.find("run seed clear again") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM t") == "1");
}

TEST_CASE(
    "a protected environment is seeded only with seeds marked protected-ok, and never cleared") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    put(dir, "safe-migrate.toml", "[environments.prod]\nprotected = true\n[environments.dev]\n");
    put(dir, "1_t.up.sql", "CREATE TABLE currencies (code text PRIMARY KEY);\n");
    put(dir, "seeds/010_currencies.sql",
        "-- safe-migrate: environments=prod,dev\n-- safe-migrate: protected-ok\n"
        "INSERT INTO currencies VALUES ('EUR'), ('USD');\n");
    put(dir, "seeds/010_currencies.rollback.sql", "DELETE FROM currencies;\n");
    put(dir, "seeds/020_demo.sql",
        "-- safe-migrate: environments=prod,dev\nINSERT INTO currencies VALUES ('XTS');\n");
    std::string config = (dir.path() / "safe-migrate.toml").string();
    auto in = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", config, "--migrations-dir", dir.path().string()});
        return args;
    };
    REQUIRE(run_tool(in({"--env", "prod", "execute", "--skip-backup", "--reason", "test"}), env)
                .exit_code == 0);
    // execute on a protected environment records the target.
    CHECK(db.scalar("SELECT environment || ':' || database FROM safe_migrate.protected_targets") ==
          "prod:" + db.name());

    auto refused = run_tool(in({"--env", "prod", "seed", "run"}), env);
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("safe-migrate: error: environment 'prod' is protected; seeds not "
                           "marked for it: 020_demo") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM currencies") == "0");

    put(dir, "seeds/020_demo.sql",
        "-- safe-migrate: environments=dev\nINSERT INTO currencies VALUES ('XTS');\n");
    auto marked = run_tool(in({"--env", "prod", "seed", "run"}), env);
    INFO(marked.all());
    CHECK(marked.exit_code == 0);
    CHECK(db.scalar("SELECT string_agg(code, ',' ORDER BY code) FROM currencies") == "EUR,USD");

    auto clear = run_tool(in({"--env", "prod", "seed", "clear", "--confirm"}), env);
    CHECK(clear.exit_code == 8);
    CHECK(clear.err.find("environment 'prod' is protected: seed clear never runs there") !=
          std::string::npos);

    // The same database selected as dev: recorded as protected, so refused.
    auto mislabelled = run_tool(in({"--env", "dev", "seed", "clear", "--confirm"}), env);
    CHECK(mislabelled.exit_code == 8);
    CHECK(mislabelled.err.find("seed clear refused: the target is recorded as protected "
                               "(database '" +
                               db.name() + "' on system ") != std::string::npos);
    auto dev_run = run_tool(in({"--env", "dev", "seed", "run"}), env);
    CHECK(dev_run.exit_code == 8);
    CHECK(db.scalar("SELECT count(*) FROM currencies") == "2");
}

TEST_CASE("the example seeds build a consistent, deterministic e-commerce dataset") {
    TestDatabase db;
    TestDatabase twin;
    MigrationDir config;  // declares the environment the example seeds use
    config.write("environments.toml", "[environments.test]\n");
    std::vector<std::string> migrations = {"--config",
                                           (config.path() / "environments.toml").string(),
                                           "--migrations-dir", SM_EXAMPLE_MIGRATIONS};
    for (const TestDatabase* d : {&db, &twin}) {
        std::map<std::string, std::string> env = {{"DATABASE_URL", d->url()}};
        auto args = migrations;
        args.push_back("execute");
        REQUIRE(run_tool(args, env).exit_code == 0);
        args = migrations;
        args.insert(args.end(), {"seed", "run", "--env", "test"});
        auto seeded = run_tool(args, env);
        INFO(seeded.all());
        REQUIRE(seeded.exit_code == 0);
        CHECK(seeded.out.find("seeded 3 seed(s)") != std::string::npos);
    }

    // Row counts in range.
    CHECK(db.scalar("SELECT count(*) FROM users") == "50");
    CHECK(db.scalar("SELECT count(*) FROM user_profiles") == "50");
    CHECK(db.scalar("SELECT count(*) FROM categories") == "10");
    CHECK(db.scalar("SELECT count(*) FROM products") == "200");
    CHECK(db.scalar("SELECT count(*) BETWEEN 100 AND 400 FROM orders") == "t");
    CHECK(db.scalar("SELECT bool_and(n BETWEEN 1 AND 3) FROM (SELECT count(*) AS n FROM "
                    "product_categories GROUP BY product_id) x") == "t");
    CHECK(db.scalar("SELECT bool_and(n BETWEEN 0 AND 8) FROM (SELECT count(o.id) AS n FROM users "
                    "u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id) x") == "t");
    CHECK(db.scalar("SELECT bool_and(n BETWEEN 1 AND 6) FROM (SELECT count(*) AS n FROM "
                    "order_items GROUP BY order_id) x") == "t");

    // Every order's totals equal the sum of its items.
    CHECK(db.scalar("SELECT count(*) FROM orders o WHERE subtotal_cents IS DISTINCT FROM (SELECT "
                    "sum(line_total_cents) FROM order_items i WHERE i.order_id = o.id)") == "0");
    CHECK(db.scalar("SELECT count(*) FROM orders WHERE tax_cents <> round(subtotal_cents * 0.08) "
                    "OR shipping_cents <> CASE WHEN subtotal_cents >= 10000 THEN 0 ELSE 599 END "
                    "OR total_cents <> subtotal_cents + tax_cents + shipping_cents") == "0");
    CHECK(db.scalar("SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id "
                    "WHERE i.unit_price_cents <> p.price_cents OR i.line_total_cents <> "
                    "i.quantity::bigint * i.unit_price_cents") == "0");
    CHECK(db.scalar("SELECT count(*) FROM (SELECT order_id, product_id FROM order_items GROUP BY "
                    "1, 2 HAVING count(*) > 1) x") == "0");

    // No orphans, in either direction.
    CHECK(db.scalar("SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT FROM user_profiles p "
                    "WHERE p.user_id = u.id)") == "0");
    CHECK(db.scalar("SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT FROM "
                    "product_categories c WHERE c.product_id = p.id)") == "0");
    CHECK(db.scalar("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT FROM order_items i "
                    "WHERE i.order_id = o.id)") == "0");
    CHECK(db.scalar("SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
                    "LEFT JOIN products p ON p.id = i.product_id WHERE o.id IS NULL OR p.id IS "
                    "NULL") == "0");
    CHECK(db.scalar("SELECT count(*) FROM orders WHERE (shipped_at IS NOT NULL) <> (status IN "
                    "('shipped', 'delivered'))") == "0");

    // Deterministic: a second database gets the same data.
    std::string fingerprint =
        "SELECT md5(string_agg(u.email || o.status || o.total_cents || o.placed_at, ',' ORDER BY "
        "u.email, o.placed_at, o.total_cents)) FROM orders o JOIN users u ON u.id = o.user_id";
    CHECK(db.scalar(fingerprint) == twin.scalar(fingerprint));

    // The scale multiplies the rows: a second run at scale 2 on the twin, after clearing.
    std::map<std::string, std::string> env = {{"DATABASE_URL", twin.url()}};
    auto args = migrations;
    args.insert(args.end(), {"seed", "clear", "--env", "test", "--confirm"});
    REQUIRE(run_tool(args, env).exit_code == 0);
    CHECK(twin.scalar("SELECT count(*) FROM users") == "0");
    args = migrations;
    args.insert(args.end(), {"seed", "run", "--env", "test", "--scale", "2"});
    REQUIRE(run_tool(args, env).exit_code == 0);
    CHECK(twin.scalar("SELECT count(*) FROM users") == "100");
    CHECK(twin.scalar("SELECT count(*) FROM products") == "400");
    CHECK(twin.scalar("SELECT count(*) FROM categories") == "10");
    CHECK(twin.scalar("SELECT count(*) FROM orders WHERE total_cents <> subtotal_cents + "
                      "tax_cents + shipping_cents") == "0");
}

TEST_CASE("a seed blocked by a lock is rolled back and retried, and succeeds once it is free") {
    TestDatabase db;
    MigrationDir dir;
    MigrationDir project;
    project.write("safe-migrate.toml",
                  "[execute]\nlock_timeout = \"200ms\"\nlock_retries = 30\n"
                  "retry_base_delay = \"100ms\"\nretry_max_delay = \"300ms\"\n"
                  "[environments.dev]\n");
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    auto args = [&](std::vector<std::string> more) {
        more.insert(more.begin(), {"--config", (project.path() / "safe-migrate.toml").string(),
                                   "--migrations-dir", dir.path().string()});
        return more;
    };
    put(dir, "1_t.up.sql", "CREATE TABLE t (id int);\n");
    put(dir, "seeds/dev/010_rows.sql", "INSERT INTO t VALUES (1);\n");
    REQUIRE(run_tool(args({"execute"}), env).exit_code == 0);

    // Another session holds the table for a second, much longer than one
    // lock_timeout and much shorter than the retries' window.
    auto blocker = db.connect("blocker");
    blocker->exec("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    auto run = start_tool(args({"--env", "dev", "seed", "run"}), env);
    for (int i = 0; i < 200 && db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = "
                                         "'seed.retry'") == "0";
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(run->running());  // still retrying while the lock is held
    blocker->exec("COMMIT");
    auto result = run->wait_for(std::chrono::seconds(30));

    REQUIRE(result);
    INFO(result->out + result->err);
    CHECK(result->exit_code == 0);
    CHECK(result->err.find("010_rows: lock timeout at 010_rows.sql:1 (attempt 1 of 31)") !=
          std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM t") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.seeds WHERE id = '010_rows'") == "1");
    CHECK(db.scalar("SELECT count(*) > 0 FROM safe_migrate.events WHERE kind = 'seed.retry' AND "
                    "message LIKE '010_rows: lock timeout at 010_rows.sql:1 %'") == "t");
}

}  // namespace seed_test
