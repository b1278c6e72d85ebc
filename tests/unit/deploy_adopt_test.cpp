// Unit tests for deploy::choose_adopted (src/deploy/adopt.cpp): which local
// migrations adopt records, and its refusals, without a database.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "deploy/adopt.hpp"
#include "unit_helpers.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace deploy_adopt_test {

using Catch::Matchers::Contains;
using sm::ExitCode;
using sm::core::Layout;
using sm_test::capture_error;

namespace {

sm::core::MigrationSet files(const std::vector<int64_t>& versions) {
    sm::core::MigrationSet set;
    set.dir = "migrations";
    for (int64_t v : versions) {
        sm::core::Migration m;
        m.version = v;
        m.name = "m" + std::to_string(v);
        set.migrations.push_back(m);
    }
    return set;
}

std::vector<int64_t> versions(const std::vector<const sm::core::Migration*>& ms) {
    std::vector<int64_t> out;
    out.reserve(ms.size());
    for (const auto* m : ms) {
        out.push_back(*m->version.integer());
    }
    return out;
}

}  // namespace

TEST_CASE("choose_adopted: the tool's versions are recorded, newer files are pending", "[adopt]") {
    auto set = files({1, 2, 3, 4});
    sm::db::ToolHistory h{"schema_migrations", {1, 2, 3}, false, {}, {}};
    sm::db::AppliedMigration done;
    done.version = 1;
    auto c = sm::deploy::choose_adopted(set, h, {done}, Layout::dbmate);
    CHECK(versions(c.record) == std::vector<int64_t>{2, 3});
    CHECK(versions(c.already) == std::vector<int64_t>{1});
    CHECK(versions(c.pending) == std::vector<int64_t>{4});
    CHECK(c.head == 3);
}

TEST_CASE("choose_adopted: golang-migrate's one version covers everything up to it", "[adopt]") {
    auto set = files({1, 2, 5});
    sm::db::ToolHistory h{"schema_migrations", {2}, true, {}, {}};
    auto c = sm::deploy::choose_adopted(set, h, {}, Layout::golang_migrate);
    CHECK(versions(c.record) == std::vector<int64_t>{1, 2});
    CHECK(versions(c.pending) == std::vector<int64_t>{5});
}

TEST_CASE("choose_adopted: flyway's BASELINE covers every version up to it", "[adopt]") {
    auto set = files({1, 2, 3, 4});
    // baseline at 2 (no file needed for it), then version 3 applied by flyway migrate
    sm::db::ToolHistory h{"flyway_schema_history", {3}, false, {}, sm::core::Version(2)};
    auto c = sm::deploy::choose_adopted(set, h, {}, Layout::flyway);
    CHECK(versions(c.record) == std::vector<int64_t>{1, 2, 3});
    CHECK(versions(c.pending) == std::vector<int64_t>{4});
    CHECK(c.head == 3);
    sm::db::ToolHistory only_baseline{"flyway_schema_history", {}, false, {}, sm::core::Version(3)};
    auto b = sm::deploy::choose_adopted(set, only_baseline, {}, Layout::flyway);
    CHECK(versions(b.record) == std::vector<int64_t>{1, 2, 3});
    CHECK(b.head == 3);
}

TEST_CASE("choose_adopted: refusals, missing files and out-of-order files", "[adopt]") {
    auto set = files({1, 2, 3});
    auto dirty = capture_error([&] {
        sm::deploy::choose_adopted(set, {"schema_migrations", {}, true, {"version 2 is dirty"}, {}},
                                   {}, Layout::golang_migrate);
    });
    CHECK(dirty.code() == ExitCode::invalid_input);
    CHECK_THAT(std::string(dirty.what()),
               Contains("cannot be adopted as it is:\n  version 2 is dirty"));

    auto missing = capture_error([&] {
        sm::deploy::choose_adopted(set, {"schema_migrations", {1, 7}, false, {}, {}}, {},
                                   Layout::dbmate);
    });
    CHECK(missing.code() == ExitCode::invalid_input);
    CHECK_THAT(std::string(missing.what()), Contains("names 1 migration(s) with no file in "
                                                     "migrations:\n  7"));

    auto gap = capture_error([&] {
        sm::deploy::choose_adopted(set, {"goose_db_version", {1, 3}, false, {}, {}}, {},
                                   Layout::goose);
    });
    CHECK(gap.code() == ExitCode::drift);
    CHECK_THAT(std::string(gap.what()), Contains("(out of order):\n  2_m2"));
    CHECK_THAT(gap.hint(), Contains("`goose up`"));
}

}  // namespace deploy_adopt_test
