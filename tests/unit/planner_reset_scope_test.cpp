// Unit tests for src/planner/reset_scope.{hpp,cpp}: which schemas and
// extensions reset treats as the project's, read from parse trees.

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "planner/reset_scope.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_reset_scope_test {

using sm::planner::reset_scope;
using Names = std::set<std::string>;

namespace {

// The up scripts of migrations 1, 2, ... each holding one statement.
std::map<sm::core::Version, sm::core::Script> scripts(const std::vector<std::string>& statements) {
    std::map<sm::core::Version, sm::core::Script> up;
    int64_t version = 0;
    for (const auto& sql : statements) {
        sm::core::Statement s;
        s.sql = sql;
        s.line = 1;
        up[++version].statements = {s};
    }
    return up;
}

}  // namespace

TEST_CASE("reset owns public and the schemas the migrations create", "[reset_scope]") {
    auto scope = reset_scope(scripts({"CREATE SCHEMA app", "CREATE TABLE app.notes (id int)",
                                      "CREATE SCHEMA IF NOT EXISTS \"Billing\""}));
    CHECK(scope.schemas == Names{"Billing", "app", "public"});
    CHECK(scope.extensions.empty());
}

TEST_CASE("reset does not own schemas the migrations only reference or mention", "[reset_scope]") {
    auto scope = reset_scope(scripts(
        {"CREATE TABLE accounts (id int PRIMARY KEY, user_id int REFERENCES auth.users (id))",
         "COMMENT ON TABLE accounts IS 'create schema auth'",
         "-- CREATE SCHEMA hidden\nSELECT 1"}));
    CHECK(scope.schemas == Names{"public"});
}

TEST_CASE("reset follows AUTHORIZATION-named and renamed schemas", "[reset_scope]") {
    auto scope = reset_scope(
        scripts({"CREATE SCHEMA AUTHORIZATION bob", "CREATE SCHEMA AUTHORIZATION CURRENT_USER",
                 "ALTER SCHEMA old_name RENAME TO new_name"}));
    CHECK(scope.schemas == Names{"bob", "new_name", "public"});
}

TEST_CASE("reset never owns safe_migrate or the system schemas", "[reset_scope]") {
    auto scope = reset_scope(scripts({"CREATE SCHEMA safe_migrate", "CREATE SCHEMA pg_custom",
                                      "ALTER SCHEMA x RENAME TO information_schema"}));
    CHECK(scope.schemas == Names{"public"});
}

TEST_CASE("reset owns the extensions the migrations create", "[reset_scope]") {
    auto scope = reset_scope(scripts(
        {"CREATE EXTENSION IF NOT EXISTS citext", "CREATE EXTENSION pgcrypto WITH SCHEMA app"}));
    CHECK(scope.extensions == Names{"citext", "pgcrypto"});
}

TEST_CASE("reset skips statements that do not parse", "[reset_scope]") {
    auto scope = reset_scope(scripts({"CREATE SCHEMA (", "CREATE SCHEMA app"}));
    CHECK(scope.schemas == Names{"app", "public"});
}

}  // namespace planner_reset_scope_test
