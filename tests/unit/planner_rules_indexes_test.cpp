// Unit tests for src/planner/rules/indexes.cpp (check_indexes).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_indexes_test {

using Catch::Matchers::Contains;
using sm::planner::FileState;
using sm_test::at_version;
using sm_test::Emitted;
using sm_test::no_transaction_file;
using sm_test::only;

namespace {

// Runs check_indexes on the first statement of sql.
std::vector<Emitted> run(const std::string& sql, const FileState& f = FileState{}) {
    return sm_test::run_well_formed(sm::planner::check_indexes, sql, f);
}

}  // namespace

TEST_CASE("require-concurrent-index-creation: CREATE INDEX on an existing table",
          "[rules-indexes]") {
    auto found = run("CREATE INDEX orders_customer_idx ON orders (customer_id);");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "require-concurrent-index-creation");
    CHECK_THAT(found[0].message, Contains("orders_customer_idx") && Contains("public.orders") &&
                                     Contains("SHARE") && Contains("ON ONLY"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders"});
    CHECK(found[0].extras.rewrite ==
          "-- safe-migrate: no-transaction\n"
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer_id);");
}

TEST_CASE("require-concurrent-index-creation: unnamed unique index gets PostgreSQL's name",
          "[rules-indexes]") {
    auto found =
        run("create unique index on app.users (lower(email), tenant_id) where deleted_at is null");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("CREATE UNIQUE INDEX ON app.users"));
    CHECK(found[0].extras.exempt_if_new == "app.users");
    CHECK(found[0].extras.rewrite ==
          "-- safe-migrate: no-transaction\n"
          "create unique index CONCURRENTLY IF NOT EXISTS users_expr_tenant_id_idx on app.users "
          "(lower(email), tenant_id) where deleted_at is null;");
}

TEST_CASE("require-concurrent-index-creation: the safe forms do not fire", "[rules-indexes]") {
    SECTION("CONCURRENTLY IF NOT EXISTS in a no-transaction migration") {
        CHECK(run("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a)", no_transaction_file())
                  .empty());
    }
    SECTION("ON ONLY a partitioned parent (first step of the partitioned recipe)") {
        CHECK(only(run("CREATE INDEX measurements_ts_idx ON ONLY measurements (ts)"),
                   "require-concurrent-index-creation")
                  .empty());
    }
}

TEST_CASE("concurrent-in-transaction", "[rules-indexes]") {
    SECTION("CREATE INDEX CONCURRENTLY in a migration run in a transaction") {
        auto found = run("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a)");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "concurrent-in-transaction");
        CHECK_THAT(found[0].message, Contains("whole file outside a transaction") &&
                                         Contains("-- safe-migrate: no-transaction"));
        CHECK(found[0].extras.rewrite ==
              "-- safe-migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "
              "orders (a);");
    }
    SECTION("inside a BEGIN block of a no-transaction migration") {
        FileState f = no_transaction_file();
        f.in_explicit_block = true;
        auto found = only(run("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a)", f),
                          "concurrent-in-transaction");
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains("BEGIN block"));
    }
    SECTION("DROP INDEX CONCURRENTLY") {
        auto found = run("DROP INDEX CONCURRENTLY orders_a_idx");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "concurrent-in-transaction");
        CHECK(found[0].extras.rewrite ==
              "-- safe-migrate: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS orders_a_idx;");
    }
    SECTION("REINDEX CONCURRENTLY") {
        auto found = run("REINDEX TABLE CONCURRENTLY orders");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "concurrent-in-transaction");
        CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders"});
    }
    SECTION("DETACH PARTITION CONCURRENTLY") {
        auto found =
            run("ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "concurrent-in-transaction");
        CHECK_THAT(found[0].message, Contains("public.measurements_2020"));
    }
    SECTION("no finding in a no-transaction migration") {
        FileState f = no_transaction_file();
        CHECK(run("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a)", f).empty());
        CHECK(run("DROP INDEX CONCURRENTLY IF EXISTS i", f).empty());
        CHECK(run("REINDEX INDEX CONCURRENTLY i", f).empty());
        CHECK(run("ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY", f).empty());
    }
}

TEST_CASE("require-concurrent-index-deletion", "[rules-indexes]") {
    SECTION("DROP INDEX without CONCURRENTLY") {
        auto found = run("DROP INDEX IF EXISTS orders_a_idx");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "require-concurrent-index-deletion");
        CHECK_THAT(found[0].message, Contains("orders_a_idx") && Contains("ACCESS EXCLUSIVE"));
        CHECK(found[0].extras.exempt_if_new.empty());
        CHECK(found[0].extras.rewrite ==
              "-- safe-migrate: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS orders_a_idx;");
    }
    SECTION("several indexes with CASCADE become one statement each") {
        auto found = run("DROP INDEX app.a_idx, \"B idx\" CASCADE");
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains("one by one") && Contains("dependent objects"));
        CHECK(found[0].extras.rewrite ==
              "-- safe-migrate: no-transaction\n"
              "DROP INDEX CONCURRENTLY IF EXISTS app.a_idx;\n"
              "DROP INDEX CONCURRENTLY IF EXISTS \"B idx\";");
    }
    SECTION("DROP INDEX CONCURRENTLY IF EXISTS in a no-transaction migration is fine") {
        CHECK(run("DROP INDEX CONCURRENTLY IF EXISTS orders_a_idx", no_transaction_file()).empty());
    }
    SECTION("other DROP statements are not this family's") {
        CHECK(run("DROP TABLE orders").empty());
    }
}

TEST_CASE("require-concurrent-reindex", "[rules-indexes]") {
    SECTION("PostgreSQL 12+: suggest CONCURRENTLY") {
        auto found = run("REINDEX TABLE orders", at_version(150000));
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "require-concurrent-reindex");
        CHECK_THAT(found[0].message, Contains("public.orders") && Contains("CONCURRENTLY"));
        CHECK(found[0].extras.exempt_if_new == "public.orders");
        CHECK(found[0].extras.rewrite ==
              "-- safe-migrate: no-transaction\nREINDEX TABLE CONCURRENTLY orders;");
    }
    SECTION("options in parentheses stay where they are") {
        auto found = run("REINDEX (VERBOSE) INDEX orders_pkey", at_version(120000));
        REQUIRE(found.size() == 1);
        CHECK(found[0].extras.rewrite ==
              "-- safe-migrate: no-transaction\nREINDEX (VERBOSE) INDEX CONCURRENTLY orders_pkey;");
        CHECK(found[0].extras.exempt_if_new.empty());
    }
    SECTION("before PostgreSQL 12: warn without the rewrite") {
        auto found = run("REINDEX TABLE orders", at_version(110005));
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "require-concurrent-reindex");
        CHECK_THAT(found[0].message, Contains("needs PostgreSQL 12") && Contains("PostgreSQL 11"));
        CHECK(found[0].extras.rewrite.empty());
    }
    SECTION("REINDEX CONCURRENTLY before PostgreSQL 12 fails") {
        auto found = run("REINDEX INDEX CONCURRENTLY orders_pkey", at_version(90624));
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "require-concurrent-reindex");
        CHECK_THAT(found[0].message, Contains("fails") && Contains("9.6"));
    }
    SECTION("REINDEX SYSTEM has no concurrent form") {
        auto found = run("REINDEX SYSTEM app");
        REQUIRE(found.size() == 1);
        CHECK(found[0].extras.rewrite.empty());
    }
    SECTION("REINDEX CONCURRENTLY in a no-transaction migration is fine") {
        CHECK(run("REINDEX (CONCURRENTLY) SCHEMA app", no_transaction_file()).empty());
    }
}

TEST_CASE("prefer-robust-stmts", "[rules-indexes]") {
    // A plain SQL file another runner runs outside a transaction: a retry reruns
    // every statement.
    FileState f = no_transaction_file();
    f.runner_file = false;
    SECTION("CREATE INDEX CONCURRENTLY without IF NOT EXISTS") {
        auto found = run("CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a)", f);
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "prefer-robust-stmts");
        CHECK_THAT(found[0].message,
                   Contains("IF NOT EXISTS") && Contains("INVALID") && Contains("indisvalid"));
        CHECK(found[0].extras.rewrite ==
              "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a_idx ON orders (a);");
    }
    SECTION("an unnamed index is named so IF NOT EXISTS is allowed") {
        auto found = run("CREATE INDEX CONCURRENTLY ON orders (a, b)", f);
        REQUIRE(found.size() == 1);
        CHECK(found[0].extras.rewrite ==
              "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a_b_idx ON orders (a, b);");
    }
    SECTION("DROP INDEX CONCURRENTLY without IF EXISTS") {
        auto found = run("DROP INDEX CONCURRENTLY orders_a_idx", f);
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "prefer-robust-stmts");
        CHECK(found[0].extras.rewrite == "DROP INDEX CONCURRENTLY IF EXISTS orders_a_idx;");
    }
    SECTION("CREATE TABLE without IF NOT EXISTS") {
        auto found = run("CREATE UNLOGGED TABLE staging (id int)", f);
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "prefer-robust-stmts");
        CHECK(found[0].extras.rewrite == "CREATE UNLOGGED TABLE IF NOT EXISTS staging (id int);");
        CHECK(run("CREATE TABLE IF NOT EXISTS staging (id int)", f).empty());
    }
    SECTION("ALTER TABLE ADD COLUMN without IF NOT EXISTS") {
        auto found =
            run("ALTER TABLE orders ADD COLUMN a int, ADD b text DEFAULT 'x,y', "
                "ADD COLUMN IF NOT EXISTS c int",
                f);
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "prefer-robust-stmts");
        CHECK_THAT(found[0].message, Contains("public.orders") && Contains("a, b"));
        CHECK(found[0].extras.rewrite ==
              "ALTER TABLE orders ADD COLUMN IF NOT EXISTS a int, ADD IF NOT EXISTS b text DEFAULT "
              "'x,y', "
              "ADD COLUMN IF NOT EXISTS c int;");
        CHECK(run("ALTER TABLE orders ADD COLUMN IF NOT EXISTS a int", f).empty());
    }
    SECTION("safe-migrate drops an INVALID leftover and resumes: CIC and DIC draw nothing") {
        const FileState migration = no_transaction_file();
        CHECK(run("CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a)", migration).empty());
        CHECK(run("CREATE INDEX CONCURRENTLY ON orders (a, b)", migration).empty());
        CHECK(run("DROP INDEX CONCURRENTLY orders_a_idx", migration).empty());
        CHECK(only(run("CREATE TABLE staging (id int)", migration), "prefer-robust-stmts").size() ==
              1);
    }
    SECTION("a migration in a transaction is rolled back whole: no finding") {
        CHECK(run("CREATE TABLE staging (id int)").empty());
        CHECK(run("ALTER TABLE orders ADD COLUMN a int").empty());
    }
}

TEST_CASE("concurrent-index-if-not-exists: only in files another runner runs", "[rules-indexes]") {
    FileState plain = no_transaction_file();
    plain.runner_file = false;
    auto found =
        run("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a_idx ON app.orders (a)", plain);
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "concurrent-index-if-not-exists");
    CHECK_THAT(found[0].message,
               Contains("INVALID") && Contains("orders_a_idx") && Contains("indisvalid"));
    CHECK(found[0].extras.rewrite ==
          "DROP INDEX CONCURRENTLY IF EXISTS app.orders_a_idx;  -- only when "
          "pg_index.indisvalid is false\n"
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a_idx ON app.orders (a);");
    // safe-migrate drops the INVALID leftover before it retries.
    CHECK(run("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a_idx ON orders (a)",
              no_transaction_file())
              .empty());
    // Without CONCURRENTLY a failed build rolls back and leaves nothing behind.
    CHECK(only(run("CREATE INDEX IF NOT EXISTS orders_a_idx ON orders (a)", plain),
               "concurrent-index-if-not-exists")
              .empty());
}

}  // namespace planner_rules_indexes_test
