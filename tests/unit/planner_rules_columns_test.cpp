// Unit tests for src/planner/rules/columns.cpp (check_columns).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "planner/rule_api.hpp"
#include "rule_test_support.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_rules_columns_test {

using sm_test::contains;
using sm_test::Emitted;

namespace {

std::vector<Emitted> run(const std::string& sql, int pg_version = 150000) {
    return sm_test::run_family(sm::planner::check_columns, sql, sm_test::at_version(pg_version))
        .all;
}

void require_one(const std::vector<Emitted>& found, const char* rule,
                 const std::string& table = "public.orders") {
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule == rule);
    CHECK(found[0].extras.exempt_if_new == table);
    CHECK(found[0].extras.tables == std::vector<std::string>{table});
}

}  // namespace

TEST_CASE("adding-required-field flags NOT NULL without DEFAULT", "[rules-columns]") {
    auto found = run("ALTER TABLE orders ADD COLUMN status text NOT NULL");
    require_one(found, "adding-required-field");
    CHECK(contains(found[0].message,
                   "ALTER TABLE public.orders ADD COLUMN status text NOT NULL has no DEFAULT"));
    CHECK(contains(found[0].extras.rewrite, "ADD COLUMN status text NOT NULL DEFAULT <constant>"));
    CHECK(contains(found[0].extras.rewrite, "ALTER TABLE public.orders ADD COLUMN status text;"));

    // DEFAULT NULL is no default at all.
    require_one(run("ALTER TABLE orders ADD COLUMN n integer NOT NULL DEFAULT NULL"),
                "adding-required-field");
    // An inline PRIMARY KEY implies NOT NULL.
    require_one(run("ALTER TABLE orders ADD COLUMN code int PRIMARY KEY"), "adding-required-field");
}

TEST_CASE("adding-required-field: safe forms do not fire", "[rules-columns]") {
    CHECK(run("ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new'").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN status text").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN total numeric(10,2) DEFAULT 0 NOT NULL").empty());
    // Identity and generated columns fill themselves (other rules cover them).
    auto identity =
        run("ALTER TABLE orders ADD COLUMN id bigint NOT NULL GENERATED ALWAYS AS IDENTITY");
    REQUIRE(identity.size() == 1);
    CHECK(identity[0].rule == "adding-serial-or-identity-column");
    // Not a table.
    CHECK(run("ALTER FOREIGN TABLE remote_orders ADD COLUMN status text NOT NULL").empty());
    CHECK(run("CREATE TABLE orders (status text NOT NULL)").empty());
}

TEST_CASE("adding-required-field before PostgreSQL 11 offers no constant-default rewrite",
          "[rules-columns]") {
    auto found = run("ALTER TABLE orders ADD COLUMN status text NOT NULL", 100012);
    require_one(found, "adding-required-field");
    CHECK_FALSE(contains(found[0].extras.rewrite, "DEFAULT <constant>"));
}

TEST_CASE("adding-field-with-volatile-default flags volatile defaults", "[rules-columns]") {
    auto uuid = run("ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()");
    require_one(uuid, "adding-field-with-volatile-default");
    CHECK(contains(uuid[0].message, "gen_random_uuid() is volatile"));
    CHECK(contains(uuid[0].message, "rewrites public.orders"));
    CHECK(contains(uuid[0].extras.rewrite, "ALTER TABLE public.orders ADD COLUMN token uuid;"));
    CHECK(contains(uuid[0].extras.rewrite,
                   "ALTER TABLE public.orders ALTER COLUMN token SET DEFAULT gen_random_uuid();"));

    require_one(run("ALTER TABLE orders ADD COLUMN r float8 DEFAULT random()"),
                "adding-field-with-volatile-default");
    require_one(run("ALTER TABLE orders ADD COLUMN seen timestamptz DEFAULT clock_timestamp()"),
                "adding-field-with-volatile-default");
    auto seq = run("ALTER TABLE orders ADD COLUMN n bigint DEFAULT nextval('orders_n_seq')");
    require_one(seq, "adding-field-with-volatile-default");
    CHECK(contains(seq[0].extras.rewrite, "SET DEFAULT nextval('orders_n_seq')"));
    require_one(run("ALTER TABLE orders ADD COLUMN t text DEFAULT uuid_generate_v4()::text"),
                "adding-field-with-volatile-default");

    // A function the linter does not know is treated as volatile, and says so.
    auto unknown = run("ALTER TABLE orders ADD COLUMN code text DEFAULT make_code()");
    require_one(unknown, "adding-field-with-volatile-default");
    CHECK(contains(unknown[0].message, "not a function the linter knows to be stable"));
}

TEST_CASE("adding-field-with-volatile-default: constants and stable functions are catalog-only",
          "[rules-columns]") {
    CHECK(run("ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now()").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN created timestamp DEFAULT CURRENT_TIMESTAMP").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN day date NOT NULL DEFAULT current_date").empty());
    CHECK(
        run("ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT statement_timestamp()").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT transaction_timestamp()")
              .empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN at timestamp DEFAULT localtimestamp").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN label text DEFAULT 'x'::text").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN n int DEFAULT -1").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN ttl interval DEFAULT interval '1 day'").empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN due timestamptz DEFAULT now() + interval '7 days'")
              .empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN tags text[] DEFAULT '{}'").empty());
}

TEST_CASE("adding-field-with-volatile-default: before PostgreSQL 11 any DEFAULT rewrites",
          "[rules-columns]") {
    auto found = run("ALTER TABLE orders ADD COLUMN n int NOT NULL DEFAULT 0", 100000);
    require_one(found, "adding-field-with-volatile-default");
    CHECK(contains(found[0].message, "before PostgreSQL 11 (target 10)"));
    CHECK(contains(found[0].extras.rewrite, "SET DEFAULT 0;"));
    CHECK(contains(found[0].extras.rewrite, "IS NOT NULL) NOT VALID"));

    auto now = run("ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now()", 90600);
    require_one(now, "adding-field-with-volatile-default");
    CHECK(contains(now[0].message, "target 9.6"));

    // libpg_query's JSON drops negative integers; the rewrite reads them from the text.
    auto negative = run("ALTER TABLE orders ADD COLUMN n int DEFAULT -10", 100000);
    require_one(negative, "adding-field-with-volatile-default");
    CHECK(contains(negative[0].extras.rewrite, "SET DEFAULT -10;"));

    CHECK(run("ALTER TABLE orders ADD COLUMN n int DEFAULT NULL", 100000).empty());
    CHECK(run("ALTER TABLE orders ADD COLUMN n int DEFAULT 0", 110000).empty());
}

TEST_CASE("adding-stored-generated-column flags GENERATED ... STORED", "[rules-columns]") {
    auto found =
        run("ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) "
            "STORED");
    require_one(found, "adding-stored-generated-column");
    CHECK(contains(found[0].message, "GENERATED ALWAYS AS (total * 100) STORED"));
    CHECK(contains(found[0].extras.rewrite,
                   "ALTER TABLE public.orders ADD COLUMN total_cents bigint;"));
    CHECK(contains(found[0].extras.rewrite, "trigger"));

    CHECK(run("ALTER TABLE orders ADD COLUMN total_cents bigint").empty());
}

TEST_CASE("adding-serial-or-identity-column flags serial types and identity", "[rules-columns]") {
    auto serial = run("ALTER TABLE shop.orders ADD COLUMN seq bigserial");
    require_one(serial, "adding-serial-or-identity-column", "shop.orders");
    CHECK(contains(serial[0].message, "ADD COLUMN seq bigserial"));
    CHECK(contains(serial[0].extras.rewrite, "CREATE SEQUENCE shop.orders_seq_seq AS bigint;"));
    CHECK(contains(serial[0].extras.rewrite, "ALTER TABLE shop.orders ADD COLUMN seq bigint;"));
    CHECK(contains(serial[0].extras.rewrite, "SET DEFAULT nextval('shop.orders_seq_seq')"));

    require_one(run("ALTER TABLE orders ADD COLUMN n serial"), "adding-serial-or-identity-column");
    require_one(run("ALTER TABLE orders ADD COLUMN n smallserial"),
                "adding-serial-or-identity-column");
    auto identity = run("ALTER TABLE orders ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY");
    require_one(identity, "adding-serial-or-identity-column");
    CHECK(contains(identity[0].message, "GENERATED BY DEFAULT AS IDENTITY"));

    CHECK(run("ALTER TABLE orders ADD COLUMN id bigint").empty());
    // Turning an existing column into an identity column does not rewrite.
    CHECK(run("ALTER TABLE orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY").empty());
}

TEST_CASE("changing-column-type flags type changes that can rewrite", "[rules-columns]") {
    auto found = run("ALTER TABLE orders ALTER COLUMN total TYPE bigint");
    require_one(found, "changing-column-type");
    CHECK(contains(
        found[0].message,
        "ALTER TABLE public.orders ALTER COLUMN total TYPE bigint rewrites public.orders"));
    CHECK(contains(found[0].message, "unless the change is binary coercible"));
    CHECK(contains(found[0].extras.rewrite,
                   "ALTER TABLE public.orders ADD COLUMN total_new bigint;"));

    auto varchar = run("ALTER TABLE orders ALTER COLUMN code TYPE varchar(40)");
    require_one(varchar, "changing-column-type");
    CHECK(contains(varchar[0].message, "varchar(m) with m <= 40"));

    auto numeric = run("ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2)");
    require_one(numeric, "changing-column-type");
    CHECK(contains(numeric[0].message, "precision <= 14 and the same scale (2)"));

    auto inet = run("ALTER TABLE hosts ALTER COLUMN addr TYPE inet", 150000);
    require_one(inet, "changing-column-type", "public.hosts");
    CHECK(contains(inet[0].message, "cidr"));

    auto using_expr = run("ALTER TABLE orders ALTER COLUMN code TYPE text USING lower(code)");
    require_one(using_expr, "changing-column-type");
    CHECK(contains(using_expr[0].message, "USING"));
}

TEST_CASE("changing-column-type: text and unbounded varchar do not fire", "[rules-columns]") {
    CHECK(run("ALTER TABLE orders ALTER COLUMN code TYPE text").empty());
    CHECK(run("ALTER TABLE orders ALTER COLUMN code TYPE varchar").empty());
    CHECK(run("ALTER TABLE orders ALTER COLUMN code SET DATA TYPE character varying").empty());
    CHECK(run("ALTER TABLE orders ALTER COLUMN code TYPE text USING code::text").empty());
}

TEST_CASE("changing-column-type to timestamptz depends on the version and time zone",
          "[rules-columns]") {
    auto pg15 = run("ALTER TABLE orders ALTER COLUMN created TYPE timestamptz", 150000);
    require_one(pg15, "changing-column-type");
    CHECK(contains(pg15[0].message, "TimeZone is UTC"));

    auto pg11 = run("ALTER TABLE orders ALTER COLUMN created TYPE timestamptz", 110000);
    require_one(pg11, "changing-column-type");
    CHECK(contains(pg11[0].message,
                   "before PostgreSQL 12 (target 11) timestamp -> timestamptz always rewrites"));
}

TEST_CASE("set-not-null flags SET NOT NULL with the four-step rewrite", "[rules-columns]") {
    auto found = run("ALTER TABLE orders ALTER COLUMN status SET NOT NULL");
    require_one(found, "set-not-null");
    CHECK(contains(found[0].message, "SET NOT NULL scans all of public.orders"));
    CHECK(contains(found[0].message, "from PostgreSQL 12 a validated CHECK (status IS NOT NULL)"));
    const std::string& r = found[0].extras.rewrite;
    auto add =
        r.find("ADD CONSTRAINT orders_status_not_null CHECK (status IS NOT NULL) NOT VALID;");
    auto validate = r.find("VALIDATE CONSTRAINT orders_status_not_null;");
    auto set = r.find("ALTER COLUMN status SET NOT NULL;");
    auto drop = r.find("DROP CONSTRAINT orders_status_not_null;");
    REQUIRE(add != std::string::npos);
    REQUIRE(validate != std::string::npos);
    REQUIRE(set != std::string::npos);
    REQUIRE(drop != std::string::npos);
    CHECK(add < validate);
    CHECK(validate < set);
    CHECK(set < drop);

    CHECK(run("ALTER TABLE orders ALTER COLUMN status DROP NOT NULL").empty());
    CHECK(run("ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'").empty());
}

TEST_CASE("set-not-null before PostgreSQL 12 keeps the CHECK instead", "[rules-columns]") {
    auto found = run("ALTER TABLE orders ALTER COLUMN status SET NOT NULL", 110005);
    require_one(found, "set-not-null");
    CHECK(contains(found[0].message, "before PostgreSQL 12 (target 11)"));
    CHECK_FALSE(contains(found[0].extras.rewrite, "SET NOT NULL;"));
    CHECK(contains(found[0].extras.rewrite, "VALIDATE CONSTRAINT orders_status_not_null;"));
}

TEST_CASE("set-not-null is quiet once a validated CHECK (col IS NOT NULL) was seen (PG 12+)",
          "[rules-columns]") {
    sm::planner::FileState f;
    f.validated_not_null.insert("public.orders.status");
    const std::string sql = "ALTER TABLE orders ALTER COLUMN status SET NOT NULL";
    CHECK(sm_test::run_family(sm::planner::check_columns, sql, f).all.empty());
    // Another column, or a server that scans anyway.
    CHECK(sm_test::run_family(sm::planner::check_columns,
                              "ALTER TABLE orders ALTER COLUMN total SET NOT NULL", f)
              .all.size() == 1);
    f.pg_version = 110000;
    CHECK(sm_test::run_family(sm::planner::check_columns, sql, f).all.size() == 1);
}

TEST_CASE("column rules quote identifiers in rewrites and report every subcommand",
          "[rules-columns]") {
    auto found =
        run("ALTER TABLE \"Shop\".\"Orders\" ADD COLUMN \"Total\" int NOT NULL, ALTER COLUMN "
            "\"Code\" SET NOT NULL");
    REQUIRE(found.size() == 2);
    CHECK(found[0].rule == "adding-required-field");
    CHECK(found[0].extras.exempt_if_new == "Shop.Orders");
    CHECK(contains(found[0].extras.rewrite,
                   "ALTER TABLE \"Shop\".\"Orders\" ADD COLUMN \"Total\" integer;"));
    CHECK(found[1].rule == "set-not-null");
    CHECK(contains(found[1].extras.rewrite, "CHECK (\"Code\" IS NOT NULL)"));
}

}  // namespace planner_rules_columns_test
