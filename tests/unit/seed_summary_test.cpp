// Unit tests for src/seed/seed_summary.{hpp,cpp}: which table an INSERT fills.

#include "seed/seed_summary.hpp"

#include <catch2/catch.hpp>

// One namespace per test file: the files compile together in unity batches.
namespace seed_summary_test {

using sm::seed::insert_target;

TEST_CASE("insert_target: the table an INSERT inserts into, public by default", "[seed]") {
    CHECK(insert_target("INSERT INTO users (id) VALUES (1)") == "public.users");
    CHECK(insert_target("insert into shop.Orders select * from staging.orders") == "shop.orders");
    CHECK(insert_target("INSERT INTO \"Shop\".\"Big Orders\" VALUES (1)") == "Shop.Big Orders");
    CHECK(insert_target("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x") == "public.t");
    CHECK(insert_target("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING RETURNING id") ==
          "public.t");
    // Anything else is not attributed to a table.
    CHECK(insert_target("UPDATE users SET name = 'x'").empty());
    CHECK(insert_target("SELECT seed_users(10)").empty());
    CHECK(
        insert_target("WITH n AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT * FROM n").empty());
    CHECK(insert_target("INSERT INTO").empty());  // does not parse
}

}  // namespace seed_summary_test
