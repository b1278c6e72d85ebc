// Unit tests for src/planner/rules/destructive.cpp (check_destructive).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_destructive_test {

using sm::planner::FileState;
using sm_test::contains;
using sm_test::Emitted;

namespace {

std::vector<Emitted> run(const std::string& sql, const FileState& f = FileState{}) {
    return sm_test::run_family(sm::planner::check_destructive, sql, f).all;
}

// A transaction that has already run DDL (ALTER TABLE took ACCESS EXCLUSIVE).
FileState after_ddl() {
    FileState f;
    f.tx.has_ddl = true;
    f.tx.access_exclusive_by = "ALTER TABLE orders ADD COLUMN x int (line 1)";
    f.tx.statements = 1;
    return f;
}

}  // namespace

TEST_CASE("ban-drop-database flags DROP DATABASE", "[rules-destructive]") {
    auto found = run("DROP DATABASE shop");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "ban-drop-database");
    CHECK(contains(found[0].message, "shop"));
    CHECK(run("CREATE DATABASE shop").empty());
}

TEST_CASE("ban-drop-schema flags DROP SCHEMA, with a RESTRICT rewrite for CASCADE",
          "[rules-destructive]") {
    auto found = run("DROP SCHEMA billing CASCADE");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "ban-drop-schema");
    CHECK(contains(found[0].message, "billing"));
    CHECK(contains(found[0].message, "CASCADE"));
    CHECK(contains(found[0].extras.rewrite, "DROP SCHEMA billing RESTRICT"));

    auto plain = run("DROP SCHEMA billing");
    REQUIRE(plain.size() == 1);
    CHECK(plain[0].rule == "ban-drop-schema");
    CHECK(contains(plain[0].message, "empty"));

    CHECK(run("DROP VIEW billing_view").empty());
    CHECK(run("CREATE SCHEMA billing").empty());
}

TEST_CASE("ban-drop-table flags each dropped table and is not exempt for new tables",
          "[rules-destructive]") {
    auto found = run("DROP TABLE IF EXISTS orders, archive.old_orders CASCADE");
    REQUIRE(found.size() == 2);
    CHECK(found[0].rule == "ban-drop-table");
    CHECK(contains(found[0].message, "public.orders"));
    CHECK(contains(found[0].message, "CASCADE"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders"});
    CHECK(found[0].extras.exempt_if_new.empty());
    CHECK(found[1].extras.tables == std::vector<std::string>{"archive.old_orders"});

    CHECK(run("DROP INDEX orders_total_idx").empty());
    CHECK(run("DROP VIEW orders_view").empty());
}

TEST_CASE("ban-drop-column flags DROP COLUMN", "[rules-destructive]") {
    auto found = run("ALTER TABLE orders DROP COLUMN legacy_total");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "ban-drop-column");
    CHECK(contains(found[0].message, "public.orders"));
    CHECK(contains(found[0].message, "legacy_total"));
    CHECK(found[0].extras.exempt_if_new.empty());

    CHECK(run("ALTER TABLE orders ADD COLUMN note text").empty());
}

TEST_CASE("ban-truncate flags TRUNCATE, naming every table and CASCADE", "[rules-destructive]") {
    auto found = run("TRUNCATE orders, audit.events CASCADE");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "ban-truncate");
    CHECK(contains(found[0].message, "public.orders, audit.events"));
    CHECK(contains(found[0].message, "CASCADE"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders", "audit.events"});
    CHECK(
        contains(found[0].extras.rewrite,
                 "DELETE FROM public.orders WHERE ctid IN (SELECT ctid FROM public.orders LIMIT"));

    CHECK(run("DELETE FROM orders WHERE id = 1").empty());
}

TEST_CASE("ban-delete-or-update-without-where flags UPDATE and DELETE without WHERE",
          "[rules-destructive]") {
    auto update = run("UPDATE orders SET status = 'new'");
    REQUIRE(update.size() == 1);
    CHECK(update[0].rule == "ban-delete-or-update-without-where");
    CHECK(contains(update[0].message, "UPDATE public.orders has no WHERE"));
    CHECK(contains(update[0].message, "old values are gone"));
    CHECK(contains(update[0].extras.rewrite, "UPDATE orders SET status = 'new'\n WHERE <key> IN"));
    CHECK(update[0].extras.exempt_if_new == "public.orders");

    auto del = run("DELETE FROM orders");
    REQUIRE(del.size() == 1);
    CHECK(del[0].rule == "ban-delete-or-update-without-where");
    CHECK(contains(del[0].message, "deletes every row of public.orders"));
    CHECK(contains(
        del[0].extras.rewrite,
        "DELETE FROM public.orders WHERE ctid IN (SELECT ctid FROM public.orders LIMIT 10000)"));

    auto cte = run(
        "WITH moved AS (DELETE FROM orders RETURNING *) INSERT INTO archive SELECT * FROM moved");
    REQUIRE(cte.size() == 1);
    CHECK(contains(cte[0].message, "DELETE FROM public.orders"));
}

TEST_CASE("batched backfills draw nothing", "[rules-destructive]") {
    CHECK(run("UPDATE orders SET total = 0 WHERE id >= 1 AND id < 10001").empty());
    CHECK(run("UPDATE orders SET total = 0 WHERE id IN (SELECT id FROM orders WHERE total IS NULL "
              "ORDER BY id LIMIT 1000)")
              .empty());
    CHECK(run("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions LIMIT 5000)").empty());
}

TEST_CASE("ban-unbatched-dml: a WHERE, or INSERT, outside a DDL transaction is fine",
          "[rules-destructive]") {
    CHECK(run("UPDATE orders SET status = 'new' WHERE id < 1000").empty());
    CHECK(run("DELETE FROM orders WHERE id = 1").empty());
    CHECK(run("INSERT INTO archive SELECT * FROM orders").empty());
    CHECK(run("INSERT INTO settings VALUES (1, 'x')").empty());
}

TEST_CASE("ban-unbatched-dml flags a backfill in a transaction that already did DDL",
          "[rules-destructive]") {
    FileState f = after_ddl();
    auto update = run("UPDATE orders SET x = 0 WHERE x IS NULL", f);
    REQUIRE(update.size() == 1);
    CHECK(update[0].rule == "ban-unbatched-dml");
    CHECK(contains(update[0].message, "same transaction as earlier DDL"));
    CHECK(contains(update[0].message, "ALTER TABLE orders ADD COLUMN x int (line 1)"));
    CHECK(contains(update[0].message, "stays held"));
    CHECK(contains(update[0].extras.rewrite, "no-transaction"));

    auto insert = run("INSERT INTO archive SELECT * FROM orders", f);
    REQUIRE(insert.size() == 1);
    CHECK(contains(insert[0].message, "INSERT INTO public.archive ... SELECT"));

    auto both = run("DELETE FROM orders", f);
    REQUIRE(both.size() == 2);
    CHECK(both[0].rule == "ban-delete-or-update-without-where");
    CHECK(both[1].rule == "ban-unbatched-dml");
    CHECK(contains(both[1].message, "stays held"));

    // DDL without an ACCESS EXCLUSIVE lock: still flagged, with a general note.
    FileState weak;
    weak.tx.has_ddl = true;
    auto w = run("UPDATE orders SET x = 0 WHERE id < 10", weak);
    REQUIRE(w.size() == 1);
    CHECK(contains(w[0].message, "the locks that DDL took"));

    // Literal rows are not a backfill.
    CHECK(run("INSERT INTO settings VALUES (1, 'x')", f).empty());
}

TEST_CASE("ban-unbatched-dml: no DDL transaction in a no-transaction migration",
          "[rules-destructive]") {
    FileState f = after_ddl();
    f.no_transaction = true;
    CHECK(run("UPDATE orders SET x = 0 WHERE x IS NULL", f).empty());
    // ... unless inside an explicit BEGIN ... COMMIT in that file.
    f.in_explicit_block = true;
    CHECK(run("UPDATE orders SET x = 0 WHERE x IS NULL", f).size() == 1);

    FileState clean;  // a transaction with no DDL yet
    CHECK(run("UPDATE orders SET x = 0 WHERE x IS NULL", clean).empty());
}

TEST_CASE("renaming-column flags RENAME COLUMN on tables only", "[rules-destructive]") {
    auto found = run("ALTER TABLE orders RENAME COLUMN total TO amount");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "renaming-column");
    CHECK(contains(found[0].message, "public.orders RENAME COLUMN total TO amount"));
    CHECK(contains(found[0].extras.rewrite, "ALTER TABLE public.orders ADD COLUMN amount"));
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders"});

    CHECK(run("ALTER VIEW orders_view RENAME COLUMN total TO amount").empty());
    CHECK(run("ALTER TABLE orders RENAME CONSTRAINT a TO b").empty());
}

TEST_CASE("renaming-table flags RENAME TO with a compatibility view", "[rules-destructive]") {
    auto found = run("ALTER TABLE shop.orders RENAME TO purchases");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "renaming-table");
    CHECK(contains(found[0].message, "shop.orders RENAME TO purchases"));
    CHECK(contains(found[0].extras.rewrite,
                   "CREATE VIEW shop.orders AS SELECT * FROM shop.purchases"));

    CHECK(run("ALTER INDEX orders_idx RENAME TO purchases_idx").empty());
    CHECK(run("ALTER SEQUENCE orders_seq RENAME TO purchases_seq").empty());
}

TEST_CASE("ban-drop-not-null flags DROP NOT NULL", "[rules-destructive]") {
    auto found = run("ALTER TABLE orders ALTER COLUMN total DROP NOT NULL");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "ban-drop-not-null");
    CHECK(contains(found[0].message, "total"));

    CHECK(run("ALTER TABLE orders ALTER COLUMN total SET NOT NULL").empty());
}

TEST_CASE("ban-drop-foreign-key flags DROP CONSTRAINT of a name that says foreign key",
          "[rules-destructive]") {
    auto fkey = run("ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey");
    REQUIRE(fkey.size() == 1);
    CHECK(fkey[0].rule == "ban-drop-foreign-key");
    CHECK(contains(fkey[0].message, "orders_customer_id_fkey"));

    auto fk = run("ALTER TABLE orders DROP CONSTRAINT IF EXISTS FK_Orders_Customer");
    REQUIRE(fk.size() == 1);
    CHECK(fk[0].rule == "ban-drop-foreign-key");

    CHECK(run("ALTER TABLE orders DROP CONSTRAINT orders_total_check").empty());
    CHECK(run("ALTER TABLE orders DROP CONSTRAINT orders_pkey").empty());
}

TEST_CASE("several destructive subcommands in one ALTER TABLE each get a finding",
          "[rules-destructive]") {
    auto found =
        run("ALTER TABLE orders DROP COLUMN a, ALTER COLUMN b DROP NOT NULL, DROP CONSTRAINT "
            "orders_c_fkey");
    REQUIRE(found.size() == 3);
    CHECK(found[0].rule == "ban-drop-column");
    CHECK(found[1].rule == "ban-drop-not-null");
    CHECK(found[2].rule == "ban-drop-foreign-key");
}

TEST_CASE("a phase=backfill UPDATE or DELETE is batched by construction: no whole-table finding",
          "[rules-destructive]") {
    FileState backfill;
    backfill.backfill = true;
    CHECK(run("UPDATE orders SET total = price * qty", backfill).empty());
    CHECK(run("UPDATE orders SET total = price * qty").size() == 1);
    // The runner deletes in key-range batches too (rewrite's whole-table DELETE recipe).
    CHECK(run("DELETE FROM orders", backfill).empty());
    CHECK(run("DELETE FROM orders").size() == 1);
}

}  // namespace planner_rules_destructive_test
