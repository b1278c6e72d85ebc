// Unit tests for src/planner/rules/integrity.cpp (check_integrity).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_integrity_test {

using Catch::Matchers::Contains;
using sm::planner::FileState;
using sm::planner::LockLevel;
using sm_test::at_version;
using sm_test::no_transaction_file;

namespace {

std::vector<sm_test::Emitted> run(const std::string& sql, const FileState& f = FileState{}) {
    return sm_test::run_well_formed(sm::planner::check_integrity, sql, f);
}

// A transaction in which ALTER TYPE order_status ADD VALUE 'shipped' ran at line 1.
FileState after_add_value() {
    FileState f;
    f.tx.enum_values_added["shipped"] = "order_status (line 1)";
    return f;
}

}  // namespace

TEST_CASE("ADD VALUE fails in a transaction block before PostgreSQL 12", "[rules-integrity]") {
    auto found = run("ALTER TYPE order_status ADD VALUE 'shipped'", at_version(110000));
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "enum-add-value-in-transaction");
    CHECK_THAT(found[0].message, Contains("order_status ADD VALUE 'shipped'") &&
                                     Contains("before PostgreSQL 12") && Contains("runs 11"));
    CHECK_THAT(found[0].extras.rewrite, Contains("-- safe-migrate: no-transaction\nALTER TYPE"));
}

TEST_CASE("ADD VALUE is quiet from PostgreSQL 12, outside a transaction, and for RENAME VALUE",
          "[rules-integrity]") {
    CHECK(run("ALTER TYPE order_status ADD VALUE 'shipped'").empty());
    FileState old_no_tx = no_transaction_file();
    old_no_tx.pg_version = 110000;
    CHECK(run("ALTER TYPE order_status ADD VALUE 'shipped'", old_no_tx).empty());
    CHECK(run("ALTER TYPE order_status RENAME VALUE 'a' TO 'b'", at_version(110000)).empty());
}

TEST_CASE("a new enum value used later in the same transaction fails", "[rules-integrity]") {
    FileState f = after_add_value();
    auto update = run("UPDATE order_events SET status = 'shipped' WHERE id = 1", f);
    REQUIRE(update.size() == 1);
    CHECK(update[0].rule == "enum-value-used-in-same-transaction");
    CHECK_THAT(update[0].message, Contains("'shipped'") && Contains("order_status (line 1)") &&
                                      Contains("unsafe use of new value"));
    CHECK(run("INSERT INTO order_events (status) VALUES ('shipped'::order_status)", f).size() == 1);
    CHECK(run("ALTER TABLE order_events ALTER COLUMN status SET DEFAULT 'shipped'", f).size() == 1);
}

TEST_CASE("other values, another transaction and ADD VALUE itself are not a use",
          "[rules-integrity]") {
    FileState f = after_add_value();
    CHECK(run("UPDATE order_events SET status = 'paid' WHERE id = 1", f).empty());
    CHECK(run("ALTER TYPE order_status ADD VALUE 'returned' AFTER 'shipped'", f).empty());
    CHECK(run("UPDATE order_events SET status = 'shipped' WHERE id = 1").empty());
    FileState autocommit = after_add_value();
    autocommit.no_transaction = true;
    CHECK(run("UPDATE order_events SET status = 'shipped' WHERE id = 1", autocommit).empty());
}

TEST_CASE("dropping a primary key: by its _pkey name, honestly worded", "[rules-integrity]") {
    auto found = run("ALTER TABLE orders DROP CONSTRAINT orders_pkey");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "ban-drop-primary-key");
    CHECK_THAT(found[0].message,
               Contains("what its name says is the primary key of public.orders") &&
                   Contains("cannot see the catalog") && Contains("logical replication"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");

    auto swap =
        run("ALTER TABLE orders DROP CONSTRAINT orders_pkey CASCADE, "
            "ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id_new_idx");
    REQUIRE(swap.size() == 1);
    CHECK_THAT(swap[0].message, Contains("adds a new primary key") && Contains("CASCADE"));
}

TEST_CASE("dropping a primary key this file added, under any name", "[rules-integrity]") {
    FileState f;
    f.primary_keys.insert("public.ledger.ledger_identity");
    auto found = run("ALTER TABLE ledger DROP CONSTRAINT ledger_identity", f);
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("the primary key this file added to public.ledger"));
    CHECK(run("ALTER TABLE ledger DROP CONSTRAINT ledger_amount_check", f).empty());
}

TEST_CASE("REPLICA IDENTITY changes are named with their consequence", "[rules-integrity]") {
    auto full = run("ALTER TABLE orders REPLICA IDENTITY FULL");
    REQUIRE(full.size() == 1);
    CHECK(full[0].rule == "replica-identity-change");
    CHECK_THAT(full[0].message, Contains("FULL writes the whole old row"));
    CHECK_THAT(run("ALTER TABLE orders REPLICA IDENTITY NOTHING")[0].message,
               Contains("every UPDATE and DELETE on it fails"));
    CHECK_THAT(run("ALTER TABLE orders REPLICA IDENTITY USING INDEX orders_key")[0].message,
               Contains("USING INDEX orders_key"));
    CHECK_THAT(run("ALTER TABLE orders REPLICA IDENTITY DEFAULT")[0].message,
               Contains("by the primary key again"));
}

TEST_CASE("DISABLE TRIGGER ALL and USER, and session_replication_role = replica",
          "[rules-integrity]") {
    auto all = run("ALTER TABLE order_items DISABLE TRIGGER ALL");
    REQUIRE(all.size() == 1);
    CHECK(all[0].rule == "ban-disable-triggers");
    CHECK_THAT(all[0].message, Contains("foreign keys"));
    CHECK(all[0].extras.lock == LockLevel::share_row_exclusive);

    auto user = run("ALTER TABLE orders DISABLE TRIGGER USER");
    REQUIRE(user.size() == 1);
    CHECK_THAT(user[0].message, Contains("foreign keys are still enforced"));

    auto role = run("SET session_replication_role = replica");
    REQUIRE(role.size() == 1);
    CHECK(role[0].rule == "ban-disable-triggers");
    CHECK(role[0].extras.lock == LockLevel::none);
    CHECK(run("SET LOCAL session_replication_role = 'replica'").size() == 1);

    CHECK(run("SET session_replication_role = origin").empty());
    CHECK(run("ALTER TABLE orders DISABLE TRIGGER orders_audit").empty());
    CHECK(run("ALTER TABLE orders ENABLE TRIGGER ALL").empty());
}

}  // namespace planner_rules_integrity_test
