// Unit tests for src/planner/rules/constraints.cpp (check_constraints).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_constraints_test {

using Catch::Matchers::Contains;
using sm::planner::FileState;
using sm_test::Emitted;
using sm_test::no_transaction_file;
using sm_test::only;

namespace {

// Runs check_constraints on the first statement of sql.
std::vector<Emitted> run(const std::string& sql, const FileState& f = FileState{}) {
    return sm_test::run_well_formed(sm::planner::check_constraints, sql, f);
}

}  // namespace

TEST_CASE("constraint-missing-not-valid: CHECK without NOT VALID", "[rules-constraints]") {
    auto found = run("ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0)");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "constraint-missing-not-valid");
    CHECK_THAT(found[0].message, Contains("public.orders") && Contains("orders_total_check"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");
    CHECK(found[0].extras.tables == std::vector<std::string>{"public.orders"});
    CHECK(found[0].extras.rewrite ==
          "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n"
          "-- then, in a later migration:\n"
          "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;");
}

TEST_CASE("constraint-missing-not-valid: the NOT VALID form is safe", "[rules-constraints]") {
    CHECK(run("ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID").empty());
}

TEST_CASE("constraint-missing-not-valid: an unnamed CHECK gets the name PostgreSQL would pick",
          "[rules-constraints]") {
    auto found = run("alter table sales.orders add check (total >= 0);");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("sales.orders"));
    CHECK(
        found[0].extras.rewrite ==
        "alter table sales.orders add CONSTRAINT orders_total_check check (total >= 0) NOT VALID;\n"
        "-- then, in a later migration:\n"
        "alter table sales.orders VALIDATE CONSTRAINT orders_total_check;");
}

TEST_CASE("constraint-missing-not-valid: other subcommands and commas inside the CHECK survive",
          "[rules-constraints]") {
    auto found =
        run("ALTER TABLE ONLY \"Order, Items\" ADD COLUMN note text, "
            "ADD CONSTRAINT qty_check CHECK (coalesce(qty, 0) > 0) -- trailing comment");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Contains("public.Order, Items"));
    CHECK_THAT(
        found[0].extras.rewrite,
        Contains("ALTER TABLE ONLY \"Order, Items\" ADD COLUMN note text, ADD CONSTRAINT qty_check "
                 "CHECK (coalesce(qty, 0) > 0) NOT VALID;") &&
            Contains("ALTER TABLE ONLY \"Order, Items\" VALIDATE CONSTRAINT qty_check;"));
}

TEST_CASE("constraint-missing-not-valid: inline CHECK in ADD COLUMN", "[rules-constraints]") {
    auto found =
        run("ALTER TABLE orders ADD COLUMN qty int NOT NULL DEFAULT 1 CONSTRAINT qty_pos CHECK "
            "(qty > 0)");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "constraint-missing-not-valid");
    CHECK(found[0].extras.rewrite ==
          "ALTER TABLE orders ADD COLUMN qty int NOT NULL DEFAULT 1;\n"
          "ALTER TABLE orders ADD CONSTRAINT qty_pos CHECK (qty > 0) NOT VALID;\n"
          "-- then, in a later migration:\n"
          "ALTER TABLE orders VALIDATE CONSTRAINT qty_pos;");
}

TEST_CASE("adding-foreign-key-constraint: ADD FOREIGN KEY without NOT VALID",
          "[rules-constraints]") {
    auto found =
        run("ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) "
            "REFERENCES billing.customers (id) ON DELETE CASCADE");
    auto fk = only(found, "adding-foreign-key-constraint");
    REQUIRE(fk.size() == 1);
    CHECK_THAT(fk[0].message, Contains("public.orders") && Contains("billing.customers") &&
                                  Contains("SHARE ROW EXCLUSIVE"));
    CHECK(fk[0].extras.tables == std::vector<std::string>{"public.orders", "billing.customers"});
    CHECK(fk[0].extras.exempt_if_new == "public.orders");
    CHECK(
        fk[0].extras.rewrite ==
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES "
        "billing.customers (id) ON DELETE CASCADE NOT VALID;\n"
        "-- then, in a later migration:\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;");
}

TEST_CASE("adding-foreign-key-constraint: NOT VALID is safe, but the index still needs checking",
          "[rules-constraints]") {
    auto found =
        run("ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers NOT VALID");
    CHECK(only(found, "adding-foreign-key-constraint").empty());
    auto idx = only(found, "fk-missing-index");
    REQUIRE(idx.size() == 1);
    CHECK_THAT(idx[0].message, Contains("(customer_id)") && Contains("check that an index"));
    CHECK(idx[0].extras.exempt_if_new.empty());
    CHECK(
        idx[0].extras.rewrite ==
        "-- safe-migrate: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);");
}

TEST_CASE("adding-foreign-key-constraint: unnamed FK is named in the rewrite",
          "[rules-constraints]") {
    auto found = run("ALTER TABLE orders ADD FOREIGN KEY (a, b) REFERENCES parts (x, y)");
    auto fk = only(found, "adding-foreign-key-constraint");
    REQUIRE(fk.size() == 1);
    CHECK_THAT(fk[0].extras.rewrite, Contains("ADD CONSTRAINT orders_a_b_fkey FOREIGN KEY (a, b) "
                                              "REFERENCES parts (x, y) NOT VALID;") &&
                                         Contains("VALIDATE CONSTRAINT orders_a_b_fkey;"));
}

TEST_CASE("adding-foreign-key-constraint: REFERENCES in ADD COLUMN", "[rules-constraints]") {
    auto found =
        run("ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id) "
            "ON DELETE SET NULL NOT DEFERRABLE");
    auto fk = only(found, "adding-foreign-key-constraint");
    REQUIRE(fk.size() == 1);
    CHECK(fk[0].extras.tables == std::vector<std::string>{"public.orders", "public.customers"});
    CHECK(fk[0].extras.rewrite ==
          "ALTER TABLE orders ADD COLUMN customer_id bigint;\n"
          "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) "
          "REFERENCES "
          "customers (id) ON DELETE SET NULL NOT DEFERRABLE NOT VALID;\n"
          "-- then, in a later migration:\n"
          "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;");
    auto idx = only(found, "fk-missing-index");
    REQUIRE(idx.size() == 1);
    CHECK_THAT(idx[0].message, Contains("new column"));
}

TEST_CASE("validate-in-same-transaction", "[rules-constraints]") {
    const std::string sql = "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check";

    SECTION("added NOT VALID earlier in the same transaction") {
        FileState f;
        f.tx.not_valid_added.insert("public.orders.orders_total_check");
        auto found = run(sql, f);
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "validate-in-same-transaction");
        CHECK_THAT(found[0].message,
                   Contains("orders_total_check") && Contains("added it NOT VALID"));
        CHECK(found[0].extras.exempt_if_new == "public.orders");
    }
    SECTION("the table is strongly locked in this transaction") {
        FileState f;
        f.tx.strong_locked.insert("public.orders");
        auto found = run(sql, f);
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains("strong lock on public.orders"));
    }
    SECTION("another statement took ACCESS EXCLUSIVE") {
        FileState f;
        f.tx.access_exclusive_by = "ALTER TABLE items ADD COLUMN x int (line 2)";
        auto found = run(sql, f);
        REQUIRE(found.size() == 1);
        CHECK_THAT(found[0].message, Contains("ALTER TABLE items ADD COLUMN x int (line 2)"));
    }
    SECTION("a transaction with nothing before it is fine") {
        CHECK(run(sql).empty());
    }
    SECTION("a constraint added in another transaction is fine") {
        FileState f;
        f.tx.not_valid_added.insert("public.orders.other_check");
        f.tx.strong_locked.insert("public.items");
        CHECK(run(sql, f).empty());
    }
    SECTION("outside a transaction block nothing is held over") {
        FileState f = no_transaction_file();
        f.tx.not_valid_added.insert("public.orders.orders_total_check");
        CHECK(run(sql, f).empty());
    }
    SECTION("inside an explicit BEGIN block of a no-transaction file") {
        FileState f = no_transaction_file();
        f.in_explicit_block = true;
        f.tx.not_valid_added.insert("public.orders.orders_total_check");
        CHECK(only(run(sql, f), "validate-in-same-transaction").size() == 1);
    }
}

TEST_CASE("adding-unique-constraint: ADD CONSTRAINT UNIQUE", "[rules-constraints]") {
    auto found = run("ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code)");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "adding-unique-constraint");
    CHECK_THAT(found[0].message, Contains("public.orders") && Contains("(code)"));
    CHECK(found[0].extras.exempt_if_new == "public.orders");
    CHECK(found[0].extras.rewrite ==
          "-- safe-migrate: no-transaction\n"
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_code_key ON orders (code);\n"
          "-- then, in a later migration:\n"
          "ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_key;");
}

TEST_CASE("adding-unique-constraint: USING INDEX is the safe form", "[rules-constraints]") {
    CHECK(
        run("ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_key")
            .empty());
}

TEST_CASE("adding-unique-constraint: unnamed, with INCLUDE and other subcommands",
          "[rules-constraints]") {
    auto found = run("ALTER TABLE orders ADD COLUMN x int, ADD UNIQUE (a, b) INCLUDE (c)");
    REQUIRE(found.size() == 1);
    CHECK(found[0].extras.rewrite ==
          "ALTER TABLE orders ADD COLUMN x int;\n"
          "-- then, in a later migration:\n"
          "-- safe-migrate: no-transaction\n"
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_a_b_key ON orders (a, b) INCLUDE "
          "(c);\n"
          "-- then, in a later migration:\n"
          "ALTER TABLE orders ADD CONSTRAINT orders_a_b_key UNIQUE USING INDEX orders_a_b_key;");
}

TEST_CASE("adding-unique-constraint: inline UNIQUE in ADD COLUMN", "[rules-constraints]") {
    auto found = run("ALTER TABLE users ADD COLUMN email text UNIQUE NOT NULL DEFAULT ''");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "adding-unique-constraint");
    CHECK_THAT(found[0].message, Contains("email"));
    CHECK_THAT(found[0].extras.rewrite,
               Contains("ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\n") &&
                   Contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON "
                            "users (email);") &&
                   Contains("ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;"));
}

TEST_CASE("adding-primary-key", "[rules-constraints]") {
    SECTION("ADD PRIMARY KEY builds an index") {
        auto found = run("ALTER TABLE events ADD PRIMARY KEY (id)");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "adding-primary-key");
        CHECK(found[0].extras.exempt_if_new == "public.events");
        CHECK_THAT(
            found[0].extras.rewrite,
            Contains(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_pkey ON events (id);") &&
                Contains("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX "
                         "events_pkey;"));
    }
    SECTION("USING INDEX is the safe form") {
        CHECK(run("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX "
                  "events_id_idx")
                  .empty());
    }
    SECTION("inline PRIMARY KEY in ADD COLUMN") {
        auto found = run("ALTER TABLE events ADD COLUMN id bigint PRIMARY KEY");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "adding-primary-key");
    }
}

TEST_CASE("adding-exclusion-constraint", "[rules-constraints]") {
    auto found =
        run("ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, "
            "during WITH &&)");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == "adding-exclusion-constraint");
    CHECK_THAT(found[0].message,
               Contains("no_overlap") && Contains("gist") && Contains("downtime"));
    CHECK(found[0].extras.rewrite.empty());
    CHECK(found[0].extras.exempt_if_new == "public.bookings");

    CHECK(run("ALTER TABLE bookings DROP CONSTRAINT no_overlap").empty());
}

TEST_CASE("fk-missing-index: CREATE TABLE", "[rules-constraints]") {
    SECTION("an inline REFERENCES with no index fires") {
        auto found =
            run("CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint REFERENCES "
                "orders (id))");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "fk-missing-index");
        CHECK_THAT(found[0].message, Contains("public.order_items") && Contains("(order_id)") &&
                                         Contains("public.orders"));
        CHECK(found[0].extras.tables ==
              std::vector<std::string>{"public.order_items", "public.orders"});
        CHECK(found[0].extras.exempt_if_new.empty());
        CHECK(found[0].extras.rewrite ==
              "CREATE INDEX order_items_order_id_idx ON order_items (order_id);");
    }
    SECTION("leading columns of the primary key cover the foreign key") {
        CHECK(run("CREATE TABLE order_items (order_id bigint REFERENCES orders, line int, "
                  "PRIMARY KEY (order_id, line))")
                  .empty());
    }
    SECTION("a UNIQUE constraint covers a composite key in any column order") {
        CHECK(run("CREATE TABLE t (a int, b int, UNIQUE (a, b), FOREIGN KEY (b, a) REFERENCES p "
                  "(x, y))")
                  .empty());
    }
    SECTION("a non-leading column does not count") {
        auto found = run(
            "CREATE TABLE order_items (order_id bigint, line int, PRIMARY KEY (line, order_id), "
            "CONSTRAINT fk FOREIGN KEY (order_id) REFERENCES orders)");
        REQUIRE(found.size() == 1);
        CHECK(found[0].rule == "fk-missing-index");
    }
    SECTION("a table without foreign keys is fine") {
        CHECK(run("CREATE TABLE t (id bigint PRIMARY KEY, name text)").empty());
    }
}

TEST_CASE("constraints: unrelated statements are ignored", "[rules-constraints]") {
    CHECK(run("ALTER TABLE orders ADD COLUMN note text").empty());
    CHECK(run("CREATE INDEX orders_idx ON orders (a)").empty());
    CHECK(run("ALTER TABLE orders DROP CONSTRAINT c").empty());
}

}  // namespace planner_rules_constraints_test
