// Unit tests for src/db/transaction.{hpp,cpp} against a scripted Session: the
// SQL that sets the timeouts, and the transaction runner's lock-timeout
// retries (the whole transaction runs again; other errors are not retried;
// the session is never left inside the transaction).

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/transaction.hpp"
#include "support/scripted_session.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace db_transaction_test {

using namespace std::chrono_literals;
using sm::db::DbError;
using sm::db::QueryResult;
using sm::db::SettingScope;

using sm::test::ScriptedSession;

namespace {

// Limits that retry at once (no backoff wait), up to retries times.
sm::db::TransactionLimits limits(int retries) {
    sm::db::TransactionLimits l;
    l.lock_timeout = 3s;
    l.statement_timeout = 0ms;
    l.lock_retries = retries;
    return l;
}

DbError lock_timeout() {
    return DbError("55P03", "canceling statement due to lock timeout");
}

}  // namespace

TEST_CASE("the timeouts are set for the transaction or for the session", "[transaction]") {
    CHECK(sm::db::set_timeouts_sql(5s, std::nullopt, SettingScope::transaction) ==
          "SET LOCAL lock_timeout = '5000ms'");
    CHECK(sm::db::set_timeouts_sql(3s, 0ms, SettingScope::transaction) ==
          "SET LOCAL lock_timeout = '3000ms'; SET LOCAL statement_timeout = '0'");
    CHECK(sm::db::set_timeouts_sql(200ms, 30min, SettingScope::session) ==
          "SET lock_timeout = '200ms'; SET statement_timeout = '1800000ms'");
}

TEST_CASE("a transaction opens with its timeouts and settings in one round trip", "[transaction]") {
    ScriptedSession session;
    auto l = limits(0);
    l.settings = {{"safe_migrate.seed_scale", "3"}, {"safe_migrate.seed_environment", "dev's"}};
    sm::db::run_transaction(session, l, [&] { session.exec("INSERT INTO t VALUES (1)"); }, {});
    REQUIRE(session.sent.size() == 4);
    CHECK(session.sent[0] == "BEGIN");
    // One statement sets them all for the transaction (set_config's third
    // argument: SET LOCAL), the values as parameters, never spliced in.
    CHECK(session.sent[1] ==
          "SELECT set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true), "
          "set_config($7, $8, true)");
    CHECK(session.params[1] ==
          std::vector<sm::db::Value>{"lock_timeout", "3000ms", "statement_timeout", "0",
                                     "safe_migrate.seed_scale", "3",
                                     "safe_migrate.seed_environment", "dev's"});
    CHECK(session.sent[2] == "INSERT INTO t VALUES (1)");
    CHECK(session.sent[3] == "COMMIT");
}

TEST_CASE("a lock timeout rolls the transaction back and runs it all again", "[transaction]") {
    ScriptedSession session;
    int failures_left = 2;
    session.answer = [&](const std::string& sql) -> QueryResult {
        if (sql == "ALTER TABLE t ADD COLUMN c int" && failures_left-- > 0) {
            throw lock_timeout();
        }
        return QueryResult{};
    };
    std::vector<int> retried;
    int bodies = 0;
    sm::db::run_transaction(
        session, limits(5),
        [&] {
            ++bodies;
            session.exec("ALTER TABLE t ADD COLUMN c int");
        },
        [&](int attempt, std::chrono::milliseconds delay) {
            retried.push_back(attempt);
            CHECK(delay == 0ms);
        });
    CHECK(bodies == 3);
    CHECK(retried == std::vector<int>{0, 1});
    CHECK(std::count(session.sent.begin(), session.sent.end(), "ROLLBACK") == 2);
    CHECK(session.sent.back() == "COMMIT");
}

TEST_CASE("the runner gives up after lock_retries and rethrows the lock timeout", "[transaction]") {
    ScriptedSession session;
    session.answer = [](const std::string& sql) -> QueryResult {
        if (sql == "LOCK TABLE t") {
            throw lock_timeout();
        }
        return QueryResult{};
    };
    int retries = 0;
    try {
        sm::db::run_transaction(
            session, limits(2), [&] { session.exec("LOCK TABLE t"); },
            [&](int, std::chrono::milliseconds) { ++retries; });
        FAIL("no error");
    } catch (const DbError& e) {
        CHECK(e.is_lock_timeout());
    }
    CHECK(retries == 2);
    CHECK(session.sent.back() == "ROLLBACK");
}

TEST_CASE("other errors are not retried, and leave the session outside the transaction",
          "[transaction]") {
    ScriptedSession session;
    int bodies = 0;
    SECTION("a failed statement") {
        session.answer = [](const std::string& sql) -> QueryResult {
            if (sql == "INSERT INTO missing VALUES (1)") {
                throw DbError("42P01", "relation \"missing\" does not exist");
            }
            return QueryResult{};
        };
        CHECK_THROWS_AS(sm::db::run_transaction(session, limits(5),
                                                [&] {
                                                    ++bodies;
                                                    session.exec("INSERT INTO missing VALUES (1)");
                                                },
                                                {}),
                        DbError);
        CHECK(session.sent.back() == "ROLLBACK");
    }
    SECTION("an exception that is not a DbError") {
        CHECK_THROWS_AS(sm::db::run_transaction(session, limits(5),
                                                [&] {
                                                    ++bodies;
                                                    throw std::runtime_error("out of something");
                                                },
                                                {}),
                        std::runtime_error);
        CHECK(session.sent.back() == "ROLLBACK");
    }
    SECTION("a lost connection: nothing to roll back") {
        session.answer = [](const std::string& sql) -> QueryResult {
            if (sql == "SELECT 1") {
                throw DbError("08006", "server closed the connection unexpectedly", true);
            }
            return QueryResult{};
        };
        CHECK_THROWS_AS(sm::db::run_transaction(session, limits(5),
                                                [&] {
                                                    ++bodies;
                                                    session.exec("SELECT 1");
                                                },
                                                {}),
                        DbError);
        CHECK(session.sent.back() == "SELECT 1");
    }
    CHECK(bodies == 1);
}

TEST_CASE("a retry says where and which attempt", "[transaction]") {
    CHECK(sm::db::lock_retry_message("1_add.up.sql:3", 0, 5, 420ms) ==
          "lock timeout at 1_add.up.sql:3 (attempt 1 of 6); retrying in 420ms");
}

TEST_CASE("a batch transaction sends BEGIN, its settings, the statements and COMMIT together",
          "[transaction]") {
    ScriptedSession session;
    auto l = limits(0);
    l.settings = {{"synchronous_commit", "off"}};
    auto results = sm::db::run_transaction_batch(
        session, l, {{"CREATE TABLE t (id int)", {}}, {"INSERT INTO t VALUES ($1)", {"1"}}}, {});
    CHECK(results.size() == 2);
    CHECK(session.sent ==
          std::vector<std::string>{
              "BEGIN",
              "SELECT set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true)",
              "CREATE TABLE t (id int)", "INSERT INTO t VALUES ($1)", "COMMIT"});
    CHECK(session.params[1] == std::vector<sm::db::Value>{"lock_timeout", "3000ms",
                                                          "statement_timeout", "0",
                                                          "synchronous_commit", "off"});
}

TEST_CASE("a batch transaction names the failing statement by its index, and retries it whole",
          "[transaction]") {
    ScriptedSession session;
    int fails = 1;
    session.answer = [&](const std::string& sql) {
        if (sql == "LOCK TABLE t" && fails-- > 0) {
            throw lock_timeout();
        }
        if (sql == "SELECT 1/0") {
            throw DbError("22012", "division by zero");
        }
        return QueryResult{};
    };
    std::vector<size_t> retried_at;
    sm::db::run_transaction_batch(
        session, limits(3), {{"SELECT 1", {}}, {"LOCK TABLE t", {}}},
        [&](int, std::chrono::milliseconds, size_t index) { retried_at.push_back(index); });
    CHECK(retried_at == std::vector<size_t>{1});
    CHECK(std::count(session.sent.begin(), session.sent.end(), "ROLLBACK") == 1);

    try {
        sm::db::run_transaction_batch(session, limits(3), {{"SELECT 1", {}}, {"SELECT 1/0", {}}},
                                      {});
        FAIL("the batch should have failed");
    } catch (const sm::db::BatchError& e) {
        CHECK(e.index() == 1);
        CHECK(e.sqlstate() == "22012");
    }
    CHECK(session.sent.back() == "ROLLBACK");
}

}  // namespace db_transaction_test
