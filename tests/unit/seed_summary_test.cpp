// Unit tests for the table an INSERT fills (core::Statement::insert_target, set
// by planner/script_builder), which seed run's summary counts rows by.

#include <catch2/catch.hpp>

#include "core/checksum.hpp"
#include "core/migration_source.hpp"
#include "planner/script_builder.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_summary_test {

namespace {

// The insert_target of sql's one statement, or "" when it does not parse.
std::string insert_target(const std::string& sql) {
    sm::core::MigrationFile file;
    file.path = "seeds/1_seed.sql";
    file.content = sql + ";\n";
    file.checksum = sm::core::migration_checksum(file.content);
    std::vector<sm::core::SourceProblem> problems;
    sm::core::Script script = sm::planner::build_script(file, problems);
    return problems.empty() && script.statements.size() == 1 ? script.statements[0].insert_target
                                                             : "";
}

}  // namespace

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
