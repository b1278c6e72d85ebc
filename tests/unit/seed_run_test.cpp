// Unit tests for src/seed/seed_run.{hpp,cpp} against a scripted Session: the
// session is never left inside a seed's transaction, rollback refuses a seed
// applied to another environment, and failure hints fit the command.

#include "seed/seed_run.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>

#include "support/scripted_session.hpp"
#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace seed_run_test {

using sm::ExitCode;
using sm::db::DbError;
using sm::db::QueryResult;
using sm::db::Value;
using sm::seed::Seed;
using sm::seed::SeedContext;
using sm::seed::SeedSet;
using sm_test::capture_error;
using sm_test::contains;

using sm::test::ScriptedSession;

namespace {

QueryResult rows(std::vector<sm::db::Row> r) {
    QueryResult q;
    q.rows = std::move(r);
    return q;
}

// A control session whose safe_migrate.seeds holds one row per (id, environment).
void record_applied(ScriptedSession& control,
                    const std::vector<std::pair<std::string, std::string>>& applied) {
    control.answer = [applied](const std::string& sql) {
        if (contains(sql, "to_regclass('safe_migrate.seeds') IS NULL")) {
            return rows({{Value{"f"}}});
        }
        if (contains(sql, "FROM safe_migrate.seeds ORDER BY")) {
            std::vector<sm::db::Row> out;
            out.reserve(applied.size());
            for (const auto& [id, environment] : applied) {
                out.push_back({id, environment, "c", "sha256", "1", "2026-01-01T00:00:00Z",
                               "dev@host", "5", "00000000-0000-0000-0000-000000000000", "0.1",
                               "1"});
            }
            return rows(out);
        }
        return QueryResult{};
    };
}

Seed make_seed(const std::string& id, const std::string& sql, bool with_rollback) {
    Seed s;
    s.id = id;
    s.order = 10;
    s.path = "/p/seeds/dev/" + id + ".sql";
    s.environments = {"dev"};
    s.script.file = s.path;
    sm::core::Statement statement;
    statement.sql = sql;
    statement.line = 1;
    s.script.statements = {statement};
    if (with_rollback) {
        sm::core::Script rollback;
        rollback.file = "/p/seeds/dev/" + id + ".rollback.sql";
        sm::core::Statement undo;
        undo.sql = "DELETE FROM t";
        undo.line = 1;
        rollback.statements = {undo};
        s.rollback = rollback;
        s.rollback_path = rollback.file;
    }
    return s;
}

SeedContext context(ScriptedSession& session, ScriptedSession& control,
                    const std::string& environment = "dev") {
    return SeedContext{session,    control, "00000000-0000-0000-0000-000000000000",
                       "dev@host", {},      environment,
                       false,      1,       nullptr};
}

bool ends_with_rollback(const ScriptedSession& session) {
    return !session.sent.empty() && session.sent.back() == "ROLLBACK";
}

}  // namespace

TEST_CASE("an exception that is not a DbError still rolls the seed's transaction back",
          "[seed_run]") {
    ScriptedSession session;
    ScriptedSession control;
    record_applied(control, {});
    session.answer = [](const std::string& sql) -> QueryResult {
        if (sql == "INSERT INTO t VALUES (1)") {
            throw std::runtime_error("out of something");
        }
        return QueryResult{};
    };
    SeedSet set;
    set.seeds = {make_seed("010_a", "INSERT INTO t VALUES (1)", false)};
    SeedContext ctx = context(session, control);

    CHECK_THROWS_AS(sm::seed::run_seeds(ctx, set), std::runtime_error);
    CHECK(contains(session.sent.front(), "BEGIN"));
    CHECK(ends_with_rollback(session));
}

TEST_CASE("a failing seed's hint depends on the command", "[seed_run]") {
    auto failing = [](const std::string& sql) -> QueryResult {
        if (sql == "INSERT INTO t VALUES (1)" || sql == "DELETE FROM t") {
            throw DbError("42P01", "relation \"t\" does not exist");
        }
        return QueryResult{};
    };
    SeedSet set;
    set.seeds = {make_seed("010_a", "INSERT INTO t VALUES (1)", true)};

    SECTION("seed run: the seeds before it stay applied") {
        ScriptedSession session;
        ScriptedSession control;
        record_applied(control, {});
        session.answer = failing;
        SeedContext ctx = context(session, control);
        sm::Error e = capture_error([&] { sm::seed::run_seeds(ctx, set); });
        CHECK(e.code() == ExitCode::failure);
        CHECK(contains(e.hint(), "Seeds before it stay applied."));
        CHECK(ends_with_rollback(session));
    }
    SECTION("seed rollback: the seed stays applied") {
        ScriptedSession session;
        ScriptedSession control;
        record_applied(control, {{"010_a", "dev"}});
        session.answer = failing;
        SeedContext ctx = context(session, control);
        sm::Error e = capture_error([&] { sm::seed::rollback_seed(ctx, set, "010_a"); });
        CHECK(e.code() == ExitCode::failure);
        CHECK(std::string(e.what()).rfind("rolling back seed 010_a failed at", 0) == 0);
        CHECK(contains(e.hint(), "the seed stays applied"));
        CHECK_FALSE(contains(e.hint(), "Seeds before it"));
        CHECK(ends_with_rollback(session));
    }
    SECTION("seed clear: the seeds not reached stay applied; run clear again") {
        ScriptedSession session;
        ScriptedSession control;
        record_applied(control, {{"010_a", "dev"}});
        session.answer = failing;
        SeedContext ctx = context(session, control);
        sm::Error e = capture_error([&] { sm::seed::clear_seeds(ctx, set); });
        CHECK(e.code() == ExitCode::failure);
        CHECK(contains(e.hint(), "run seed clear again"));
        CHECK_FALSE(contains(e.hint(), "Seeds before it"));
    }
}

TEST_CASE("seed rollback refuses a seed applied to another environment", "[seed_run]") {
    ScriptedSession session;
    ScriptedSession control;
    record_applied(control, {{"010_a", "prod"}});
    SeedSet set;
    set.seeds = {make_seed("010_a", "INSERT INTO t VALUES (1)", true)};
    SeedContext ctx = context(session, control, "dev");

    sm::Error e = capture_error([&] { sm::seed::rollback_seed(ctx, set, "010_a"); });
    CHECK(e.code() == ExitCode::refused);
    CHECK(std::string(e.what()) == "seed 010_a was applied to environment 'prod', not 'dev'");
    CHECK(contains(e.hint(), "Nothing was rolled back."));
    CHECK(session.sent.empty());
}

}  // namespace seed_run_test
