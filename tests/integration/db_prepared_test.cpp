// One registry of prepared statements per session (db/pq_pipeline.hpp): the
// statements exec_prepared and batches prepare are each parsed once per
// connection, and a statement that drops them (DEALLOCATE, DISCARD) makes the
// session prepare them again instead of failing.
#include <catch2/catch.hpp>
#include <string>

#include "db/session.hpp"
#include "support/test_database.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace db_prepared_test {

using namespace sm::test;

namespace {

constexpr const char* k_sum = "SELECT $1::int + $2::int";

// The statements the server holds prepared for session.
std::string prepared_on(sm::db::Session& session) {
    return session
        .exec(
            "SELECT coalesce(string_agg(statement, ' | ' ORDER BY statement), '') "
            "FROM pg_prepared_statements")
        .scalar()
        .value_or("");
}

}  // namespace

TEST_CASE("db: exec_prepared and batches share one registry of prepared statements") {
    TestDatabase db;
    auto session = db.connect();
    CHECK(session->exec_prepared(k_sum, {"1", "2"}).scalar() == "3");
    CHECK(session->exec_prepared(k_sum, {"2", "2"}).scalar() == "4");
    // A batch reuses what exec_prepared prepared: still one statement.
    auto results = session->exec_batch({{k_sum, {"3", "4"}, true}, {"SELECT 1", {}}});
    REQUIRE(results.size() == 2);
    CHECK(results[0].scalar() == "7");
    CHECK(prepared_on(*session) == k_sum);

    // Dropped by the session's own SQL: prepared again, not "does not exist".
    session->exec("DEALLOCATE ALL");
    CHECK(prepared_on(*session).empty());
    CHECK(session->exec_prepared(k_sum, {"5", "5"}).scalar() == "10");
    CHECK(prepared_on(*session) == k_sum);
    auto again = session->exec_batch({{"DISCARD PLANS", {}}, {k_sum, {"1", "1"}, true}});
    CHECK(again.at(1).scalar() == "2");
    CHECK(session->exec_prepared(k_sum, {"6", "6"}).scalar() == "12");
}

TEST_CASE("db: a failing exec_prepared is a plain database error, and the session goes on") {
    TestDatabase db;
    auto session = db.connect();
    try {
        session->exec_prepared("SELECT 1 / $1::int", {"0"});
        FAIL("division by zero should fail");
    } catch (const sm::db::BatchError&) {
        FAIL("exec_prepared threw a batch's error");
    } catch (const sm::db::DbError& e) {
        CHECK(e.sqlstate() == "22012");
    }
    CHECK(session->exec_prepared("SELECT 1 / $1::int", {"1"}).scalar() == "1");
}

}  // namespace db_prepared_test
