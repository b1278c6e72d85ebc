// Unit tests for src/planner/rules/transactions.cpp (check_transactions).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/lint_state.hpp"
#include "planner/rule_api.hpp"
#include "planner/sql_parser.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_transactions_test {

using Catch::Matchers::Contains;
using sm::planner::FileState;
using sm_test::no_transaction_file;

namespace {

sm_test::Recorder run(const std::string& sql, const FileState& f) {
    return sm_test::run_family(sm::planner::check_transactions, sql, f);
}

// A native migration run by safe-migrate, in its transaction, nothing set.
FileState runner() {
    return FileState{};
}

// A plain SQL file linted outside the runner: nobody sets timeouts.
FileState plain() {
    FileState f;
    f.runner_file = false;
    return f;
}

}  // namespace

// ---------------------------------------------------------------- require-lock-timeout

TEST_CASE("lock timeout: a plain file with no lock_timeout fires for strong locks",
          "[rules-transactions]") {
    auto found = run("ALTER TABLE orders ADD COLUMN note text", plain()).of("require-lock-timeout");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message,
               Contains("ALTER TABLE public.orders takes ACCESS EXCLUSIVE on public.orders"));
    CHECK_THAT(found[0].message, Contains("no lock_timeout"));
    CHECK_THAT(found[0].extras.rewrite, Contains("SET lock_timeout = '5s';") &&
                                            Contains("ALTER TABLE orders ADD COLUMN note text;"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");
}

TEST_CASE("lock timeout: each strong-lock statement kind is recognised", "[rules-transactions]") {
    struct Case {
        const char* sql;
        const char* lock;
        const char* table;
    };
    for (const Case& c : {
             Case{"CREATE INDEX orders_idx ON orders (created_at)", "SHARE", "public.orders"},
             Case{"DROP TABLE app.old_orders", "ACCESS EXCLUSIVE", "app.old_orders"},
             Case{"TRUNCATE orders", "ACCESS EXCLUSIVE", "public.orders"},
             Case{"LOCK TABLE orders IN SHARE MODE", "SHARE", "public.orders"},
             Case{"LOCK TABLE orders", "ACCESS EXCLUSIVE", "public.orders"},
             Case{"CREATE TRIGGER tg AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f()",
                  "SHARE ROW EXCLUSIVE", "public.orders"},
             Case{"DROP TRIGGER tg ON orders", "ACCESS EXCLUSIVE", "public.orders"},
             Case{"REFRESH MATERIALIZED VIEW totals", "ACCESS EXCLUSIVE", "public.totals"},
             Case{"VACUUM FULL orders", "ACCESS EXCLUSIVE", "public.orders"},
             Case{"CLUSTER orders USING orders_pkey", "ACCESS EXCLUSIVE", "public.orders"},
             Case{"ALTER TABLE orders RENAME TO purchases", "ACCESS EXCLUSIVE", "public.orders"},
             Case{"ALTER TABLE orders RENAME COLUMN total TO amount", "ACCESS EXCLUSIVE",
                  "public.orders"},
             Case{"ALTER TABLE orders ENABLE TRIGGER tg", "SHARE ROW EXCLUSIVE", "public.orders"},
             Case{"REINDEX TABLE orders", "SHARE", "public.orders"},
         }) {
        INFO(c.sql);
        auto found = run(c.sql, plain()).of("require-lock-timeout");
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains(std::string("takes ") + c.lock + " on " + c.table));
        CHECK(found[0].extras.tables == std::vector<std::string>{c.table});
    }
}

TEST_CASE("lock timeout: DROP INDEX names the index, not a table", "[rules-transactions]") {
    auto found = run("DROP INDEX app.orders_idx", plain()).of("require-lock-timeout");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("ACCESS EXCLUSIVE on the table of index app.orders_idx"));
    CHECK(found[0].extras.exempt_if_new.empty());

    auto multi = run("TRUNCATE orders, app.items", plain()).of("require-lock-timeout");
    REQUIRE(multi.size() == 1);
    CHECK_THAT(multi[0].message, Contains("ACCESS EXCLUSIVE on public.orders and app.items"));
}

TEST_CASE("lock timeout: a foreign key also locks the referenced table", "[rules-transactions]") {
    const std::string fk =
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES "
        "app.users (id)";
    auto found = run(fk, plain()).of("require-lock-timeout");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("SHARE ROW EXCLUSIVE on public.orders and app.users"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders", "app.users"});
    CHECK(found[0].extras.exempt_if_new.empty());  // two existing tables: never exempt

    // The referencing table is new: only the referenced one matters.
    FileState new_child = plain();
    new_child.created_tables.insert("public.orders");
    auto child = run(fk, new_child).of("require-lock-timeout");
    REQUIRE(child.size() == 1);
    CHECK_THAT(child[0].message,
               Contains("SHARE ROW EXCLUSIVE on app.users") && !Contains("on public.orders"));
    CHECK(child[0].extras.exempt_if_new == "app.users");

    // Both new: the finding names a new table, which the driver drops.
    new_child.created_tables.insert("app.users");
    auto both = run(fk, new_child).of("require-lock-timeout");
    REQUIRE(both.size() == 1);
    CHECK(new_child.created_tables.count(both[0].extras.exempt_if_new) == 1);

    // CREATE TABLE with a REFERENCES locks only the existing referenced table.
    auto create =
        run("CREATE TABLE items (id int PRIMARY KEY, order_id int REFERENCES orders (id), "
            "parent int REFERENCES items (id))",
            plain())
            .of("require-lock-timeout");
    REQUIRE(create.size() == 1);
    CHECK_THAT(create[0].message, Contains("SHARE ROW EXCLUSIVE on public.orders"));
}

TEST_CASE("lock timeout: weak or concurrent statements do not fire", "[rules-transactions]") {
    for (const char* sql :
         {"CREATE INDEX CONCURRENTLY orders_idx ON orders (created_at)",
          "DROP INDEX CONCURRENTLY orders_idx", "ALTER TABLE orders VALIDATE CONSTRAINT c",
          "ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.01)",
          "ALTER TABLE orders DETACH PARTITION orders_2020 CONCURRENTLY",
          "REFRESH MATERIALIZED VIEW CONCURRENTLY totals", "VACUUM orders",
          "LOCK TABLE orders IN ROW EXCLUSIVE MODE", "UPDATE orders SET total = 0 WHERE id = 1",
          "SELECT 1", "CREATE TABLE fresh (id int)", "ALTER INDEX orders_idx RENAME TO o_idx"}) {
        INFO(sql);
        CHECK(run(sql, plain()).of("require-lock-timeout").empty());
    }
}

TEST_CASE("lock timeout: ALTER INDEX RENAME takes ACCESS EXCLUSIVE before PG 12",
          "[rules-transactions]") {
    FileState f = plain();
    f.pg_version = 110000;
    CHECK(run("ALTER INDEX orders_idx RENAME TO o_idx", f).of("require-lock-timeout").size() == 1);
}

TEST_CASE("lock timeout: the runner's own timeout or a sane SET suppresses it",
          "[rules-transactions]") {
    CHECK(run("ALTER TABLE orders ADD COLUMN note text", runner())
              .of("require-lock-timeout")
              .empty());
    FileState f = plain();
    f.lock_timeout_ms = 3000;
    CHECK(run("ALTER TABLE orders ADD COLUMN note text", f).of("require-lock-timeout").empty());
    f.lock_timeout_ms = 10000;  // exactly the maximum is allowed
    CHECK(run("ALTER TABLE orders ADD COLUMN note text", f).of("require-lock-timeout").empty());
}

TEST_CASE("lock timeout: lock_timeout = 0 fires even in a runner file", "[rules-transactions]") {
    FileState f = runner();
    f.lock_timeout_ms = 0;
    auto found = run("TRUNCATE orders", f).of("require-lock-timeout");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("lock_timeout = 0"));
}

TEST_CASE("lock timeout: above the policy maximum fires", "[rules-transactions]") {
    FileState f = runner();
    f.lock_timeout_ms = 60000;
    auto found = run("ALTER TABLE orders DROP COLUMN note", f).of("require-lock-timeout");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("lock_timeout = 60s") && Contains("maximum of 10s"));

    f.max_lock_timeout_ms = 120000;  // a policy that allows more
    CHECK(run("ALTER TABLE orders DROP COLUMN note", f).of("require-lock-timeout").empty());

    f.max_lock_timeout_ms = 2000;
    f.lock_timeout_ms = 3000;
    auto strict = run("ALTER TABLE orders DROP COLUMN note", f).of("require-lock-timeout");
    REQUIRE(strict.size() == 1);
    CHECK_THAT(strict[0].extras.rewrite, Contains("SET lock_timeout = '2s'"));
}

// SET lock_timeout / statement_timeout as the timeout rules see them. libpg_query
// prints 0 and negative numbers as "ival": {}, so setting_ms reads those back
// from the statement; PostgreSQL rejects a negative timeout.
namespace {

std::optional<long long> set_ms(const std::string& sql) {
    auto parsed = sm::planner::parse_sql(sql);
    REQUIRE_FALSE(parsed.error);
    sm::planner::ParseDocument document;
    const sm::planner::ParseTree& tree = document.parse(parsed.tree_json);
    return sm::planner::setting_ms(tree["stmts"][0]["stmt"]["VariableSetStmt"], sql);
}

}  // namespace

TEST_CASE("lock timeout: SET values in milliseconds, 0 and negatives read from the text",
          "[rules-transactions]") {
    CHECK(set_ms("SET lock_timeout = 5000") == 5000);
    CHECK(set_ms("SET lock_timeout = '5s'") == 5000);
    CHECK(set_ms("SET lock_timeout = 0") == 0);
    CHECK(set_ms("SET lock_timeout = -1") == std::nullopt);
    CHECK(set_ms("SET statement_timeout = - 250") == std::nullopt);
    CHECK(set_ms("SET lock_timeout = '-1'") == std::nullopt);
}

// ---------------------------------------------------------------- require-statement-timeout

TEST_CASE("statement timeout: long-running work in a plain file fires", "[rules-transactions]") {
    struct Case {
        const char* sql;
        const char* words;
    };
    for (const Case& c : {
             Case{"CREATE INDEX CONCURRENTLY orders_idx ON orders (created_at)",
                  "CREATE INDEX CONCURRENTLY orders_idx"},
             Case{"CREATE INDEX orders_idx ON orders (created_at)", "on public.orders"},
             Case{"ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check",
                  "VALIDATE CONSTRAINT orders_total_check"},
             Case{"UPDATE orders SET total = 0", "UPDATE public.orders without WHERE"},
             Case{"DELETE FROM app.orders", "DELETE FROM app.orders without WHERE"},
             Case{"ALTER TABLE orders ALTER COLUMN total TYPE bigint", "ALTER COLUMN total TYPE"},
             Case{"VACUUM orders", "VACUUM public.orders reads"},
             Case{"VACUUM FULL orders", "VACUUM FULL public.orders rewrites"},
             Case{"REINDEX INDEX orders_idx", "REINDEX public.orders_idx rebuilds the index"},
             Case{"CLUSTER orders USING orders_pkey", "CLUSTER public.orders"},
             Case{"REFRESH MATERIALIZED VIEW CONCURRENTLY totals",
                  "REFRESH MATERIALIZED VIEW CONCURRENTLY"},
         }) {
        INFO(c.sql);
        auto found = run(c.sql, plain()).of("require-statement-timeout");
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains(c.words) && Contains("no statement_timeout"));
        CHECK_THAT(found[0].extras.rewrite, Contains("SET statement_timeout"));
    }
    auto idx = run("CREATE INDEX orders_idx ON orders (created_at)", plain())
                   .of("require-statement-timeout");
    CHECK(idx[0].extras.exempt_if_new == "public.orders");
}

TEST_CASE("statement timeout: quick statements do not fire", "[rules-transactions]") {
    for (const char* sql :
         {"UPDATE orders SET total = 0 WHERE id = 1", "DELETE FROM orders WHERE id = 1",
          "ALTER TABLE orders ADD COLUMN note text", "ANALYZE orders", "SELECT 1",
          "ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID"}) {
        INFO(sql);
        CHECK(run(sql, plain()).of("require-statement-timeout").empty());
    }
}

TEST_CASE("statement timeout: runner files and explicit settings", "[rules-transactions]") {
    CHECK(run("CREATE INDEX orders_idx ON orders (created_at)", runner())
              .of("require-statement-timeout")
              .empty());
    FileState set = plain();
    set.statement_timeout_ms = 600000;
    CHECK(run("CREATE INDEX orders_idx ON orders (created_at)", set)
              .of("require-statement-timeout")
              .empty());

    FileState zero = runner();
    zero.statement_timeout_ms = 0;
    auto found =
        run("CREATE INDEX orders_idx ON orders (created_at)", zero).of("require-statement-timeout");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("statement_timeout = 0"));
}

// ---------------------------------------------------------------- statement-after-access-exclusive

TEST_CASE("statement after ACCESS EXCLUSIVE fires inside a transaction", "[rules-transactions]") {
    FileState f = runner();
    f.tx.access_exclusive_by = "ALTER TABLE orders ADD COLUMN note text (line 3)";
    auto found = run("UPDATE orders SET note = 'x' WHERE id < 1000", f)
                     .of("statement-after-access-exclusive");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("UPDATE orders SET note"));
    CHECK_THAT(found[0].message, Contains("ALTER TABLE orders ADD COLUMN note text (line 3)"));

    // An explicit block in a no-transaction file is a transaction too.
    FileState block = no_transaction_file();
    block.in_explicit_block = true;
    block.tx.access_exclusive_by = "LOCK TABLE orders (line 2)";
    CHECK(run("SELECT count(*) FROM orders", block).of("statement-after-access-exclusive").size() ==
          1);
}

TEST_CASE("statement after ACCESS EXCLUSIVE: negatives", "[rules-transactions]") {
    FileState none = runner();
    CHECK(run("UPDATE orders SET note = 'x' WHERE id = 1", none)
              .of("statement-after-access-exclusive")
              .empty());

    FileState f = runner();
    f.tx.access_exclusive_by = "ALTER TABLE orders ADD COLUMN note text (line 3)";
    CHECK(run("COMMIT", f).of("statement-after-access-exclusive").empty());
    CHECK(run("SET statement_timeout = '1min'", f).of("statement-after-access-exclusive").empty());

    // Autocommit (no-transaction file, outside a block): the lock is already gone.
    FileState autocommit = no_transaction_file();
    autocommit.tx.access_exclusive_by = "ALTER TABLE orders ADD COLUMN note text (line 3)";
    CHECK(run("SELECT 1", autocommit).of("statement-after-access-exclusive").empty());
}

// ---------------------------------------------------------------- multiple-alter-same-table

TEST_CASE("a second ALTER TABLE on the same table in a transaction", "[rules-transactions]") {
    FileState f = runner();
    f.tx.alter_count["public.orders"] = 1;
    auto found = run("ALTER TABLE orders ADD COLUMN b int", f).of("multiple-alter-same-table");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message,
               Contains("2nd ALTER TABLE on public.orders") && Contains("one ALTER TABLE"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");

    f.tx.alter_count["public.orders"] = 2;
    CHECK_THAT(
        run("ALTER TABLE orders ADD COLUMN c int", f).of("multiple-alter-same-table")[0].message,
        Contains("3rd"));
}

TEST_CASE("multiple ALTER TABLE: negatives", "[rules-transactions]") {
    FileState f = runner();
    f.tx.alter_count["public.orders"] = 1;
    CHECK(run("ALTER TABLE users ADD COLUMN b int", f).of("multiple-alter-same-table").empty());
    CHECK(
        run("ALTER TABLE app.orders ADD COLUMN b int", f).of("multiple-alter-same-table").empty());
    CHECK(run("CREATE INDEX i ON orders (b)", f).of("multiple-alter-same-table").empty());

    FileState first = runner();
    CHECK(
        run("ALTER TABLE orders ADD COLUMN b int", first).of("multiple-alter-same-table").empty());

    FileState autocommit = no_transaction_file();
    autocommit.tx.alter_count["public.orders"] = 1;
    CHECK(run("ALTER TABLE orders ADD COLUMN b int", autocommit)
              .of("multiple-alter-same-table")
              .empty());
}

// ---------------------------------------------------------------- multiple-tables-access-exclusive

TEST_CASE("ACCESS EXCLUSIVE on a second existing table in one transaction",
          "[rules-transactions]") {
    FileState f = runner();
    f.tx.access_exclusive_tables = {"public.accounts"};
    auto found =
        run("ALTER TABLE orders ADD COLUMN note text", f).of("multiple-tables-access-exclusive");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("ACCESS EXCLUSIVE on public.orders") &&
                                     Contains("already holds it on public.accounts") &&
                                     Contains("deadlock"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.accounts", "public.orders"});

    f.tx.access_exclusive_tables.insert("public.orders");
    auto third = run("TRUNCATE items", f).of("multiple-tables-access-exclusive");
    REQUIRE(third.size() == 1);
    CHECK_THAT(third[0].message, Contains("public.accounts and public.orders"));
}

TEST_CASE("several ACCESS EXCLUSIVE tables: negatives", "[rules-transactions]") {
    FileState f = runner();
    f.tx.access_exclusive_tables = {"public.orders"};
    // The same table again, a weaker lock, a table created earlier in this file.
    CHECK(run("ALTER TABLE orders ADD COLUMN b int", f)
              .of("multiple-tables-access-exclusive")
              .empty());
    CHECK(run("CREATE INDEX i ON accounts (a)", f).of("multiple-tables-access-exclusive").empty());
    FileState created = f;
    created.created_tables.insert("public.staging");
    CHECK(run("ALTER TABLE staging ADD COLUMN b int", created)
              .of("multiple-tables-access-exclusive")
              .empty());
    // The first table, and autocommit statements.
    CHECK(run("ALTER TABLE orders ADD COLUMN b int", runner())
              .of("multiple-tables-access-exclusive")
              .empty());
    FileState autocommit = no_transaction_file();
    autocommit.tx.access_exclusive_tables = {"public.orders"};
    CHECK(run("ALTER TABLE accounts ADD COLUMN b int", autocommit)
              .of("multiple-tables-access-exclusive")
              .empty());
}

TEST_CASE("the state records existing tables under ACCESS EXCLUSIVE", "[rules-transactions]") {
    FileState f = runner();
    f.created_tables.insert("public.staging");
    for (const char* sql : {"ALTER TABLE orders ADD COLUMN b int", "ALTER TABLE staging ADD c int",
                            "CREATE INDEX i ON accounts (a)"}) {
        auto parsed = sm::planner::parse_sql(sql);
        sm::planner::ParseDocument doc;
        const auto& stmt = doc.parse(parsed.tree_json)["stmts"][0]["stmt"];
        const std::string kind(stmt.begin().key());
        auto lock = sm::planner::predict_lock(kind, stmt.begin().value());
        const std::string text(sql);
        sm::planner::StatementRef s{stmt.begin().value(), kind, text, 1, 1, lock, text};
        sm::planner::apply_statement(s, f);
    }
    CHECK(f.tx.access_exclusive_tables == std::set<std::string>{"public.orders"});
}

// ---------------------------------------------------------------- transaction-hygiene

TEST_CASE("transaction control in a migration the runner wraps", "[rules-transactions]") {
    for (const char* sql :
         {"BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "SAVEPOINT before_backfill",
          "ROLLBACK TO SAVEPOINT before_backfill", "RELEASE SAVEPOINT before_backfill"}) {
        INFO(sql);
        auto found = run(sql, runner()).of("transaction-hygiene");
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message,
                   Contains("runs in a transaction") && Contains("no-transaction"));
    }
    FileState inside = runner();
    inside.in_explicit_block = true;
    CHECK(run("COMMIT", inside).of("transaction-hygiene").size() == 1);
}

TEST_CASE("balanced blocks in a no-transaction migration are fine", "[rules-transactions]") {
    FileState f = no_transaction_file();
    CHECK(run("BEGIN", f).of("transaction-hygiene").empty());
    f.in_explicit_block = true;
    CHECK(run("COMMIT", f).of("transaction-hygiene").empty());
    CHECK(run("ROLLBACK", f).of("transaction-hygiene").empty());
    CHECK(run("SAVEPOINT a", f).of("transaction-hygiene").empty());
    CHECK(run("SELECT 1", f).of("transaction-hygiene").empty());
}

TEST_CASE("unmatched or nested blocks in a no-transaction migration", "[rules-transactions]") {
    FileState open = no_transaction_file();
    open.in_explicit_block = true;
    auto nested = run("BEGIN", open).of("transaction-hygiene");
    REQUIRE(nested.size() == 1);
    CHECK_THAT(nested[0].message, Contains("still open") && Contains("unterminated"));

    FileState closed = no_transaction_file();
    auto unmatched = run("COMMIT", closed).of("transaction-hygiene");
    REQUIRE(unmatched.size() == 1);
    CHECK_THAT(unmatched[0].message,
               Contains("no open transaction block") && Contains("unmatched"));
    CHECK(run("ROLLBACK", closed).of("transaction-hygiene").size() == 1);

    auto sp = run("SAVEPOINT a", closed).of("transaction-hygiene");
    REQUIRE(sp.size() == 1);
    CHECK_THAT(sp[0].message, Contains("outside a transaction block"));
}

TEST_CASE("plain SQL files may manage their own blocks", "[rules-transactions]") {
    FileState f = plain();
    CHECK(run("BEGIN", f).of("transaction-hygiene").empty());
    f.in_explicit_block = true;
    CHECK(run("COMMIT", f).of("transaction-hygiene").empty());
    CHECK(run("BEGIN", f).of("transaction-hygiene").size() == 1);
}

TEST_CASE("PREPARE TRANSACTION is always a finding", "[rules-transactions]") {
    FileState f = no_transaction_file();
    f.in_explicit_block = true;
    auto found = run("PREPARE TRANSACTION 'mig'", f).of("transaction-hygiene");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("prepared transaction"));
}

}  // namespace planner_rules_transactions_test
