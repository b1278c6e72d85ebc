// Splitting a phase=backfill migration's statement where the runner adds its
// key ranges (planner/backfill_statement.hpp).
#include <catch2/catch.hpp>

#include "planner/backfill_statement.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_backfill_statement_test {

using sm::planner::parse_backfill_statement;

TEST_CASE("an UPDATE with a WHERE is split around its condition") {
    auto p = parse_backfill_statement(
        "UPDATE app.users u SET email_lower = lower(u.email) WHERE u.email_lower IS NULL AND "
        "u.note <> 'a where (b)'");
    REQUIRE(p.statement);
    CHECK(p.statement->kind == "UPDATE");
    CHECK(p.statement->schema == "app");
    CHECK(p.statement->table == "users");
    CHECK(p.statement->key_qualifier == "u");
    CHECK(p.statement->before == "UPDATE app.users u SET email_lower = lower(u.email) WHERE ");
    CHECK(p.statement->condition == "u.email_lower IS NULL AND u.note <> 'a where (b)'");
    CHECK(p.statement->after.empty());
}

TEST_CASE("an UPDATE without WHERE, with a subquery that has one, gets the whole text before") {
    auto p = parse_backfill_statement(
        "UPDATE accounts SET total = (SELECT sum(x) FROM h WHERE h.id = accounts.id) -- where\n");
    REQUIRE(p.statement);
    CHECK(p.statement->schema == "public");
    CHECK(p.statement->key_qualifier == "accounts");
    CHECK(p.statement->condition.empty());
    // The trailing comment is dropped: the runner's WHERE goes after the code.
    CHECK(p.statement->before ==
          "UPDATE accounts SET total = (SELECT sum(x) FROM h WHERE h.id = accounts.id)");
}

TEST_CASE("an INSERT ... SELECT keys on its one source table and keeps ON CONFLICT after") {
    auto p = parse_backfill_statement(
        "INSERT INTO dst (a) SELECT s.a FROM src s WHERE s.a > $x$where$x$ ON CONFLICT (a) DO "
        "UPDATE SET a = EXCLUDED.a WHERE dst.a IS NULL");
    REQUIRE(p.statement);
    CHECK(p.statement->kind == "INSERT ... SELECT");
    CHECK(p.statement->table == "src");
    CHECK(p.statement->key_qualifier == "s");
    CHECK(p.statement->condition == "s.a > $x$where$x$");
    CHECK(p.statement->after ==
          " ON CONFLICT (a) DO UPDATE SET a = EXCLUDED.a WHERE dst.a IS NULL");
}

TEST_CASE("a DELETE is split at its WHERE, with or without one") {
    sm::planner::BackfillParse all = parse_backfill_statement("DELETE FROM app.t");
    REQUIRE(all.statement);
    CHECK(all.statement->kind == "DELETE");
    CHECK(all.statement->schema == "app");
    CHECK(all.statement->table == "t");
    CHECK(all.statement->key_qualifier == "t");
    CHECK(all.statement->condition.empty());
    CHECK(all.statement->before == "DELETE FROM app.t");
    sm::planner::BackfillParse some =
        parse_backfill_statement("DELETE FROM t AS x WHERE x.v < 10 -- old");
    REQUIRE(some.statement);
    CHECK(some.statement->key_qualifier == "x");
    CHECK(some.statement->before == "DELETE FROM t AS x WHERE ");
    CHECK(some.statement->condition == "x.v < 10");
}

TEST_CASE("statements whose rows do not map to key ranges are refused with the reason") {
    CHECK(parse_backfill_statement("TRUNCATE t").problem ==
          "a backfill migration holds one UPDATE ..., DELETE ... or INSERT ... SELECT "
          "statement; this is TRUNCATE t");
    CHECK(parse_backfill_statement("DELETE FROM t RETURNING a").problem ==
          "a backfill statement cannot be split into key ranges: it has RETURNING");
    CHECK(parse_backfill_statement("UPDATE t SET a = 1 RETURNING a").problem ==
          "a backfill statement cannot be split into key ranges: it has RETURNING");
    CHECK(parse_backfill_statement("INSERT INTO d SELECT a FROM s JOIN r USING (a)").problem ==
          "a backfill statement cannot be split into key ranges: its SELECT must read exactly "
          "one table (no joins, no subqueries in FROM)");
    CHECK(parse_backfill_statement("INSERT INTO d SELECT a FROM s ORDER BY a LIMIT 5").problem ==
          "a backfill statement cannot be split into key ranges: its SELECT has ORDER BY");
    CHECK(parse_backfill_statement("INSERT INTO d VALUES (1)").problem ==
          "a backfill statement cannot be split into key ranges: its SELECT has VALUES");
    CHECK(parse_backfill_statement("UPDATE t SET a = 1; UPDATE t SET b = 2").problem ==
          "a backfill migration holds exactly one statement (found 2)");
}

}  // namespace planner_backfill_statement_test
