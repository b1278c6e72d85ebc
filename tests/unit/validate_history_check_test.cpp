// Unit tests for src/validate/history_check.{hpp,cpp}: which status entries
// are problems, and which migrations make the expected schema.

#include <catch2/catch.hpp>

#include "validate/history_check.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace validate_history_check_test {

using sm::db::PartialMigration;
using sm::executor::MigrationState;
using sm::executor::StatusEntry;
using sm::executor::StatusReport;

namespace {

StatusEntry entry(int64_t version, MigrationState state, const std::string& detail = "") {
    StatusEntry e;
    e.version = version;
    e.name = "m" + std::to_string(version);
    e.state = state;
    e.detail = detail;
    e.recorded_checksum = "aaaaaaaaaaaaaaaaaaaa";
    e.file_checksum = "bbbbbbbbbbbbbbbbbbbb";
    return e;
}

StatusReport report() {
    StatusReport r;
    r.entries = {entry(1, MigrationState::applied),
                 entry(2, MigrationState::changed),
                 entry(3, MigrationState::missing),
                 entry(4, MigrationState::out_of_order, "older than the newest applied version 6"),
                 entry(5, MigrationState::partial, "1 of 3 statements done; failed: boom"),
                 entry(6, MigrationState::applied),
                 entry(7, MigrationState::pending)};
    r.head = 6;
    return r;
}

}  // namespace

TEST_CASE("changed, missing, out-of-order and partial migrations are history problems") {
    auto problems = sm::validate::history_problems(report());
    REQUIRE(problems.size() == 4);
    CHECK(problems[0].state == "changed");
    CHECK(problems[0].message ==
          "migration 2_m2: file changed after it was applied (recorded aaaaaaaaaaaa, file "
          "bbbbbbbbbbbb)");
    CHECK(problems[1].message == "migration 3_m3: applied, but its file is missing");
    CHECK(problems[2].message ==
          "migration 4_m4: not applied, but older than the newest applied version 6");
    CHECK(problems[3].message ==
          "migration 5_m5: partially applied (1 of 3 statements done; failed: boom)");
}

TEST_CASE("the expected schema comes from applied and changed migrations and partial prefixes") {
    PartialMigration p;
    p.version = 5;
    p.statements_done = 1;
    auto steps = sm::validate::applied_steps(report(), {p});
    REQUIRE(steps.size() == 4);
    CHECK(steps[0].version == 1);
    CHECK(steps[1].version == 2);
    CHECK(steps[2].version == 5);
    CHECK(steps[2].statements == 1);
    CHECK(steps[2].id == "5_m5");
    CHECK(steps[3].version == 6);
    CHECK_FALSE(steps[3].statements.has_value());
}

}  // namespace validate_history_check_test
