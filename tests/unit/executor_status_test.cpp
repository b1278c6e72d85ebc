// Unit tests for src/executor/status.{hpp,cpp}: compute_status is a pure
// function of the files and the history rows, so everything is built by hand.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/checksum.hpp"
#include "executor/status.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace executor_status_test {

using Catch::Matchers::Contains;
using sm::core::Migration;
using sm::core::MigrationSet;
using sm::db::AppliedMigration;
using sm::db::PartialMigration;
using sm::executor::compute_status;
using sm::executor::MigrationState;
using sm::executor::StatusEntry;
using sm::executor::StatusReport;

namespace {

std::string sql_of(int64_t version) {
    return "SELECT " + std::to_string(version) + ";\n";
}

Migration migration(int64_t version, const std::string& name, const std::string& sql = "") {
    Migration m;
    m.version = version;
    m.name = name;
    m.up.path = "migrations/" + std::to_string(version) + "_" + name + ".up.sql";
    m.up.content = sql.empty() ? sql_of(version) : sql;
    m.up.checksum = sm::core::migration_checksum(m.up.content);
    return m;
}

MigrationSet files(std::vector<Migration> migrations) {
    MigrationSet set;
    set.dir = "migrations";
    set.migrations = std::move(migrations);
    return set;
}

AppliedMigration applied(const Migration& m, const std::string& at = "2026-01-01T09:00:00Z") {
    AppliedMigration a;
    a.version = m.version;
    a.name = m.name;
    a.checksum = m.up.checksum;
    a.checksum_algorithm = sm::core::k_checksum_algorithm;
    a.applied_at = at;
    a.applied_by = "deploy";
    return a;
}

const StatusEntry& entry(const StatusReport& r, int64_t version) {
    for (const auto& e : r.entries) {
        if (e.version == version) {
            return e;
        }
    }
    FAIL("no status entry for version " << version);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("status: state names", "[status]") {
    CHECK(std::string(state_name(MigrationState::applied)) == "applied");
    CHECK(std::string(state_name(MigrationState::pending)) == "pending");
    CHECK(std::string(state_name(MigrationState::out_of_order)) == "out-of-order");
    CHECK(std::string(state_name(MigrationState::changed)) == "changed");
    CHECK(std::string(state_name(MigrationState::missing)) == "missing");
    CHECK(std::string(state_name(MigrationState::partial)) == "partial");
}

TEST_CASE("status: nothing applied means everything is pending", "[status]") {
    auto set = files({migration(1, "a"), migration(2, "b")});
    StatusReport r = compute_status(set, {}, {});
    REQUIRE(r.entries.size() == 2);
    CHECK(r.entries[0].state == MigrationState::pending);
    CHECK(r.entries[1].state == MigrationState::pending);
    CHECK(r.entries[0].file_checksum == set.migrations[0].up.checksum);
    CHECK(r.entries[0].recorded_checksum.empty());
    CHECK_FALSE(r.head.has_value());
    CHECK(r.pending == 2);
    CHECK(r.applied == 0);
    CHECK(r.has_pending());
    CHECK_FALSE(r.has_drift());
}

TEST_CASE("status: no files and no history", "[status]") {
    StatusReport r = compute_status(files({}), {}, {});
    CHECK(r.entries.empty());
    CHECK_FALSE(r.head.has_value());
    CHECK_FALSE(r.has_pending());
    CHECK_FALSE(r.has_drift());
}

TEST_CASE("status: applied and pending", "[status]") {
    auto m1 = migration(1, "a");
    auto m2 = migration(2, "b");
    auto m3 = migration(3, "c");
    StatusReport r =
        compute_status(files({m1, m2, m3}), {applied(m1), applied(m2, "2026-02-02T10:00:00Z")}, {});
    REQUIRE(r.entries.size() == 3);
    CHECK(r.entries[0].state == MigrationState::applied);
    CHECK(r.entries[1].state == MigrationState::applied);
    CHECK(r.entries[1].applied_at == "2026-02-02T10:00:00Z");
    CHECK(r.entries[1].recorded_checksum == m2.up.checksum);
    CHECK(r.entries[1].name == "b");
    CHECK(r.entries[2].state == MigrationState::pending);
    CHECK(r.head == std::optional<int64_t>(2));
    CHECK(r.applied == 2);
    CHECK(r.pending == 1);
    CHECK(r.out_of_order == 0);
    CHECK(r.has_pending());
    CHECK_FALSE(r.has_drift());
}

TEST_CASE("status: everything applied is up to date", "[status]") {
    auto m1 = migration(1, "a");
    auto m2 = migration(20260101090000, "b");
    StatusReport r = compute_status(files({m1, m2}), {applied(m1), applied(m2)}, {});
    CHECK(r.applied == 2);
    CHECK(r.head == std::optional<int64_t>(20260101090000));
    CHECK_FALSE(r.has_pending());
    CHECK_FALSE(r.has_drift());
}

TEST_CASE("status: an unapplied file older than the head is out of order", "[status]") {
    auto m1 = migration(1, "a");
    auto m2 = migration(2, "late");
    auto m3 = migration(3, "c");
    auto m4 = migration(4, "d");
    StatusReport r = compute_status(files({m1, m2, m3, m4}), {applied(m1), applied(m3)}, {});
    CHECK(entry(r, 2).state == MigrationState::out_of_order);
    CHECK_THAT(entry(r, 2).detail, Contains("3"));
    CHECK(entry(r, 4).state == MigrationState::pending);
    CHECK(r.out_of_order == 1);
    CHECK(r.pending == 1);
    CHECK(r.head == std::optional<int64_t>(3));
    CHECK(r.has_pending());
    CHECK_FALSE(r.has_drift());

    // Out of order alone still counts as pending work.
    StatusReport only = compute_status(files({m1, m2, m3}), {applied(m1), applied(m3)}, {});
    CHECK(only.pending == 0);
    CHECK(only.out_of_order == 1);
    CHECK(only.has_pending());
}

TEST_CASE("status: a file changed after it was applied", "[status]") {
    auto m1 = migration(1, "a");
    auto m2 = migration(2, "b");
    AppliedMigration old = applied(m2);
    old.checksum = sm::core::migration_checksum("SELECT 'before the edit';\n");
    StatusReport r = compute_status(files({m1, m2}), {applied(m1), old}, {});
    const StatusEntry& e = entry(r, 2);
    CHECK(e.state == MigrationState::changed);
    CHECK(e.recorded_checksum == old.checksum);
    CHECK(e.file_checksum == m2.up.checksum);
    CHECK_FALSE(e.detail.empty());
    CHECK(r.changed == 1);
    CHECK(r.has_drift());
    CHECK_FALSE(r.has_pending());
    CHECK(r.head == std::optional<int64_t>(2));
}

TEST_CASE("status: line endings alone do not make a file changed", "[status]") {
    auto lf = migration(1, "a", "SELECT 1;\nSELECT 2;\n");
    auto crlf = migration(1, "a",
                          "\xEF\xBB\xBF"
                          "SELECT 1;\r\nSELECT 2;\r\n");
    StatusReport r = compute_status(files({crlf}), {applied(lf)}, {});
    CHECK(entry(r, 1).state == MigrationState::applied);
    CHECK_FALSE(r.has_drift());
}

TEST_CASE("status: an applied migration whose file is gone is missing", "[status]") {
    auto m1 = migration(1, "a");
    auto gone = migration(2, "dropped");
    auto m3 = migration(3, "c");
    StatusReport r = compute_status(files({m1, m3}), {applied(m1), applied(gone), applied(m3)}, {});
    REQUIRE(r.entries.size() == 3);
    CHECK(r.entries[1].version == 2);  // entries stay ordered by version
    CHECK(r.entries[1].state == MigrationState::missing);
    CHECK(r.entries[1].name == "dropped");
    CHECK(r.entries[1].recorded_checksum == gone.up.checksum);
    CHECK(r.entries[1].file_checksum.empty());
    CHECK_THAT(r.entries[1].detail, Contains("2_dropped.up.sql"));
    CHECK(r.missing == 1);
    CHECK(r.applied == 2);
    CHECK(r.has_drift());
}

TEST_CASE("status: the head counts missing versions too", "[status]") {
    auto m1 = migration(1, "a");
    auto m2 = migration(2, "b");
    auto gone = migration(9, "gone");
    StatusReport r = compute_status(files({m1, m2}), {applied(m1), applied(gone)}, {});
    CHECK(r.head == std::optional<int64_t>(9));
    CHECK(entry(r, 2).state == MigrationState::out_of_order);
    CHECK(entry(r, 9).state == MigrationState::missing);
}

TEST_CASE("status: a started no-transaction migration is partial", "[status]") {
    auto m1 = migration(1, "a");
    auto m2 = migration(2, "idx");
    PartialMigration failed;
    failed.version = 2;
    failed.name = "idx";
    failed.checksum = m2.up.checksum;
    failed.statements_total = 5;
    failed.statements_done = 3;
    failed.state = sm::db::ProgressState::failed;
    failed.last_error = "deadlock detected";

    StatusReport r = compute_status(files({m1, m2}), {applied(m1)}, {failed});
    const StatusEntry& e = entry(r, 2);
    CHECK(e.state == MigrationState::partial);
    CHECK(e.recorded_checksum == m2.up.checksum);
    CHECK_THAT(e.detail, Contains("3 of 5"));
    CHECK_THAT(e.detail, Contains("deadlock detected"));
    CHECK(r.partial == 1);
    CHECK(r.pending == 0);
    CHECK(r.has_drift());

    PartialMigration killed = failed;
    killed.state = sm::db::ProgressState::running;
    StatusReport k = compute_status(files({m1, m2}), {applied(m1)}, {killed});
    CHECK(entry(k, 2).state == MigrationState::partial);
    CHECK_THAT(entry(k, 2).detail, Contains("interrupted"));
    CHECK_THAT(entry(k, 2).detail, !Contains("deadlock"));
}

TEST_CASE("status: a partial migration whose file is gone is still reported", "[status]") {
    auto m1 = migration(1, "a");
    PartialMigration p;
    p.version = 5;
    p.name = "vanished";
    p.checksum = "abc";
    p.state = sm::db::ProgressState::failed;
    StatusReport r = compute_status(files({m1}), {applied(m1)}, {p});
    REQUIRE(r.entries.size() == 2);
    CHECK(r.entries[1].version == 5);
    CHECK(r.entries[1].state == MigrationState::partial);
    CHECK(r.entries[1].name == "vanished");
    CHECK(r.partial == 1);
    CHECK(r.has_drift());
}

TEST_CASE("status: a checksum from another algorithm is not compared", "[status]") {
    auto m1 = migration(1, "a");
    AppliedMigration legacy = applied(m1);
    legacy.checksum = "d41d8cd98f00b204e9800998ecf8427e";  // an md5 from an older tool
    legacy.checksum_algorithm = "md5-raw";
    StatusReport r = compute_status(files({m1}), {legacy}, {});
    const StatusEntry& e = entry(r, 1);
    CHECK(e.state == MigrationState::applied);
    CHECK(e.recorded_checksum == legacy.checksum);
    CHECK_THAT(e.detail, Contains("md5-raw"));
    CHECK(r.changed == 0);
    CHECK_FALSE(r.has_drift());

    // The same mismatch under the current algorithm is drift.
    legacy.checksum_algorithm = sm::core::k_checksum_algorithm;
    CHECK(entry(compute_status(files({m1}), {legacy}, {}), 1).state == MigrationState::changed);
}

TEST_CASE("status: entries are ordered by version whatever the input order", "[status]") {
    auto m1 = migration(1, "a");
    auto m10 = migration(10, "j");
    auto m2 = migration(2, "b");
    auto gone = migration(5, "e");
    StatusReport r =
        compute_status(files({m1, m2, m10}), {applied(m10), applied(gone), applied(m1)}, {});
    REQUIRE(r.entries.size() == 4);
    CHECK(r.entries[0].version == 1);
    CHECK(r.entries[1].version == 2);
    CHECK(r.entries[2].version == 5);
    CHECK(r.entries[3].version == 10);
    CHECK(r.head == std::optional<int64_t>(10));
    CHECK(r.entries[1].state == MigrationState::out_of_order);
}

TEST_CASE("status: a mix of every state", "[status]") {
    auto m1 = migration(1, "applied");
    auto m2 = migration(2, "changed");
    auto m3 = migration(3, "ooo");
    auto m4 = migration(4, "head");
    auto m5 = migration(5, "partial");
    auto m6 = migration(6, "pending");
    auto gone = migration(7, "missing");
    AppliedMigration changed = applied(m2);
    changed.checksum = std::string(64, '0');
    PartialMigration p;
    p.version = 5;
    p.name = "partial";
    p.statements_total = 2;
    p.statements_done = 1;
    p.state = sm::db::ProgressState::running;
    StatusReport r = compute_status(files({m1, m2, m3, m4, m5, m6}),
                                    {applied(m1), changed, applied(m4), applied(gone)}, {p});
    CHECK(entry(r, 1).state == MigrationState::applied);
    CHECK(entry(r, 2).state == MigrationState::changed);
    CHECK(entry(r, 3).state == MigrationState::out_of_order);
    CHECK(entry(r, 4).state == MigrationState::applied);
    CHECK(entry(r, 5).state == MigrationState::partial);
    CHECK(entry(r, 6).state == MigrationState::out_of_order);  // older than head 7 (missing)
    CHECK(entry(r, 7).state == MigrationState::missing);
    CHECK(r.changed == 1);
    CHECK(r.missing == 1);
    CHECK(r.partial == 1);
    CHECK(r.out_of_order == 2);
    CHECK(r.pending == 0);
    CHECK(r.has_drift());
    CHECK(r.has_pending());
}

}  // namespace executor_status_test
