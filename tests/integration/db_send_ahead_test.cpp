// Sending ahead (Session::send_batch and receive_batch, db/pq_pipeline.hpp):
// transactions queued on a real server run in order, each the moment the one
// before it ends; a failure makes the server skip every batch sent behind it,
// and the session is whole afterwards.
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "db/session.hpp"
#include "support/test_database.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace db_send_ahead_test {

using namespace sm::test;
using sm::db::BatchStatement;

namespace {

constexpr const char* k_insert = "INSERT INTO t (n) VALUES ($1::int) RETURNING n";

// One transaction: BEGIN, statements, COMMIT.
std::vector<BatchStatement> transaction(std::vector<BatchStatement> statements) {
    statements.insert(statements.begin(), {"BEGIN", {}});
    statements.push_back({"COMMIT", {}});
    return statements;
}

std::string scalar(sm::db::Session& session, const std::string& sql) {
    return session.exec(sql).scalar().value_or("");
}

}  // namespace

TEST_CASE("send-ahead: a failed batch drops the batches sent behind it") {
    TestDatabase db;
    auto session = db.connect();
    session->send_batch(transaction({{"CREATE TABLE first_one (id int)", {}}}));
    session->send_batch(
        transaction({{"CREATE TABLE second_one (id int)", {}}, {"SELECT 1 / $1::int", {"0"}}}));
    session->send_batch(transaction({{"CREATE TABLE third_one (id int)", {}}}));

    auto first = session->receive_batch();
    CHECK(first.size() == 3);
    try {
        session->receive_batch();
        FAIL("the second batch divides by zero");
    } catch (const sm::db::BatchError& e) {
        CHECK(e.sqlstate() == "22012");
        CHECK(e.index() == 2);  // BEGIN, CREATE TABLE, then the division
    }
    // Its transaction is aborted, not ended: the caller rolls it back.
    CHECK_THROWS_AS(session->exec("SELECT 1"), sm::db::DbError);
    session->exec("ROLLBACK");
    CHECK(scalar(*session, "SELECT to_regclass('first_one') IS NOT NULL") == "t");
    CHECK(scalar(*session, "SELECT to_regclass('second_one') IS NULL") == "t");
    // Sent, never run: the server skipped it.
    CHECK(scalar(*session, "SELECT to_regclass('third_one') IS NULL") == "t");
    // Nothing is left in flight: the session sends and receives again.
    session->send_batch(transaction({{"CREATE TABLE fourth_one (id int)", {}}}));
    CHECK(session->receive_batch().size() == 3);
    CHECK(scalar(*session, "SELECT to_regclass('fourth_one') IS NOT NULL") == "t");
}

TEST_CASE("send-ahead: statements prepared ahead are prepared once, and again after a failure") {
    TestDatabase db;
    auto session = db.connect();
    session->exec("CREATE TABLE t (n int PRIMARY KEY)");
    // Three transactions in flight at once, each binding the same statement.
    for (int n = 1; n <= 3; ++n) {
        session->send_batch(transaction({{k_insert, {std::to_string(n)}, true}}));
    }
    for (int n = 1; n <= 3; ++n) {
        CHECK(session->receive_batch().at(1).scalar() == std::to_string(n));
    }
    CHECK(scalar(*session, "SELECT count(*) FROM pg_prepared_statements") == "1");

    // A duplicate key: the failing batch and the one behind it do not run.
    session->send_batch(transaction({{k_insert, {"1"}, true}}));
    session->send_batch(transaction({{k_insert, {"4"}, true}}));
    CHECK_THROWS_AS(session->receive_batch(), sm::db::BatchError);
    session->exec("ROLLBACK");
    CHECK(scalar(*session, "SELECT count(*) FROM t") == "3");
    // Which Prepare ran is not known after a failure: prepared again, and it works.
    session->send_batch(transaction({{k_insert, {"5"}, true}}));
    CHECK(session->receive_batch().at(1).scalar() == "5");
    CHECK(session->exec_batch({{k_insert, {"6"}, true}}).at(0).scalar() == "6");
    CHECK(scalar(*session, "SELECT string_agg(n::text, ',' ORDER BY n) FROM t") == "1,2,3,5,6");
}

TEST_CASE("send-ahead: nothing else runs on a session while a batch is in flight") {
    TestDatabase db;
    auto session = db.connect();
    session->send_batch(transaction({{"SELECT pg_sleep(0.05)", {}}}));
    CHECK_THROWS_AS(session->exec("SELECT 1"), std::logic_error);
    CHECK_THROWS_AS(session->exec_params("SELECT $1::int", {"1"}), std::logic_error);
    CHECK_THROWS_AS(session->exec_batch({{"SELECT 1", {}}}), std::logic_error);
    CHECK(session->receive_batch().size() == 3);
    CHECK_THROWS_AS(session->receive_batch(), std::logic_error);
    CHECK(scalar(*session, "SELECT 2") == "2");
}

TEST_CASE("send-ahead: a cancel stops the batch in flight, which then fails and drops the rest") {
    TestDatabase db;
    auto session = db.connect();
    session->send_batch(transaction({{"SELECT pg_sleep(5)", {}}}));
    session->send_batch(transaction({{"CREATE TABLE never (id int)", {}}}));
    // Cancel once the sleep runs (a cancel that finds the session idle does nothing).
    auto watcher = db.connect();
    const std::string pid = std::to_string(session->backend_pid());
    for (int i = 0;
         i < 500 && scalar(*watcher, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid +
                                         " AND query LIKE '%pg_sleep%'") != "1";
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    session->cancel();
    try {
        session->receive_batch();
        FAIL("the sleep was cancelled");
    } catch (const sm::db::BatchError& e) {
        CHECK(e.is_canceled());
    }
    session->exec("ROLLBACK");
    CHECK(scalar(*session, "SELECT to_regclass('never') IS NULL") == "t");
}

}  // namespace db_send_ahead_test
