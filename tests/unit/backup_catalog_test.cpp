// Unit tests for src/backup/catalog.{hpp,cpp}: reading the catalog directory,
// finding a backup by id and choosing the newest usable backup of a source.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/manifest.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_catalog_test {

namespace fs = std::filesystem;
using sm::ExitCode;
using sm::backup::BackupKind;
using sm::backup::BackupState;
using sm::backup::Catalog;
using sm::backup::CatalogEntry;
using sm::backup::Manifest;
using sm_test::capture_error;
using sm_test::contains;

namespace {

const char* const k_db = "orders_prod";
const char* const k_sysid = "7300123456789012345";

Manifest manifest(const std::string& id, const std::string& finished_at,
                  BackupState state = BackupState::complete, BackupKind kind = BackupKind::manual,
                  const std::string& database = k_db, const std::string& sysid = k_sysid) {
    Manifest m;
    m.id = id;
    m.kind = kind;
    m.state = state;
    m.started_at = finished_at;
    m.finished_at = finished_at;
    m.source.host = "db.internal.example";
    m.source.port = "5432";
    m.source.database = database;
    m.source.system_identifier = sysid;
    m.archive_format = "directory";
    m.archive = "archive";
    return m;
}

// Writes m into root/<dir> (dir defaults to the manifest's id).
fs::path put(const fs::path& root, const Manifest& m, const std::string& dir = "") {
    fs::path d = root / (dir.empty() ? m.id : dir);
    fs::create_directories(d);
    sm::backup::write_manifest(d, m);
    return d;
}

std::vector<std::string> backup_names(const Catalog& c) {
    std::vector<std::string> out;
    for (const auto& e : c.backups) {
        out.push_back(e.dir.filename().string());
    }
    return out;
}

std::optional<std::string> latest_id(const fs::path& root, const std::string& db = k_db,
                                     const std::string& sysid = k_sysid) {
    auto e = sm::backup::latest_backup(sm::backup::read_catalog(root), db, sysid);
    if (!e) {
        return std::nullopt;
    }
    REQUIRE(e->manifest.has_value());
    CHECK(e->dir.filename().string() == e->manifest->id);
    return e->manifest->id;
}

}  // namespace

TEST_CASE("catalog: latest_backup orders by finish time not by id", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    // The lexically last id finished first (e.g. a clock that was set wrong).
    put(root, manifest("20261125T000000Z-zz-last-by-name", "2026-11-20T08:00:00.000Z"));
    put(root, manifest("20261121T231500Z-pre-deploy", "2026-11-22T10:00:00.000Z",
                       BackupState::complete, BackupKind::pre_deploy));
    put(root, manifest("20261122T000000Z-manual", "2026-11-22T09:59:59.999Z"));

    Catalog c = sm::backup::read_catalog(root);
    REQUIRE(c.backups.size() == 3);
    CHECK(latest_id(root) == std::optional<std::string>("20261121T231500Z-pre-deploy"));
}

TEST_CASE("catalog: latest_backup compares milliseconds and accepts verified",
          "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    put(root, manifest("20261121T230000Z-b", "2026-11-21T23:20:00.500Z"));
    put(root, manifest("20261121T230000Z-a", "2026-11-21T23:20:00.501Z", BackupState::verified));
    put(root, manifest("20261121T230000Z-c", "2026-11-21T23:20:00Z"));
    CHECK(latest_id(root) == std::optional<std::string>("20261121T230000Z-a"));
}

TEST_CASE("catalog: latest_backup skips unusable and foreign backups", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    // The only qualifying backup is also the oldest one.
    put(root, manifest("20261101T000000Z-good", "2026-11-01T00:10:00Z"));
    // Each of these finished later but must be skipped.
    put(root, manifest("20261102T000000Z-failed", "2026-11-02T00:10:00Z", BackupState::failed));
    put(root, manifest("20261103T000000Z-running", "2026-11-03T00:10:00Z", BackupState::running));
    put(root, manifest("20261104T000000Z-pre-restore", "2026-11-04T00:10:00Z",
                       BackupState::verified, BackupKind::pre_restore));
    put(root, manifest("20261105T000000Z-other-db", "2026-11-05T00:10:00Z", BackupState::complete,
                       BackupKind::manual, "orders_staging"));
    put(root, manifest("20261106T000000Z-other-cluster", "2026-11-06T00:10:00Z",
                       BackupState::complete, BackupKind::manual, k_db, "7300999999999999999"));
    // A damaged backup and one whose manifest names another id.
    fs::create_directories(root / "20261107T000000Z-corrupt");
    std::ofstream(root / "20261107T000000Z-corrupt" / "manifest.json") << "{\"id\": ";
    put(root, manifest("20261108T000000Z-elsewhere", "2026-11-08T00:10:00Z"),
        "20261108T000000Z-renamed");

    Catalog c = sm::backup::read_catalog(root);
    REQUIRE(c.backups.size() == 8);
    CHECK(latest_id(root) == std::optional<std::string>("20261101T000000Z-good"));

    SECTION("nothing qualifies") {
        fs::remove_all(root / "20261101T000000Z-good");
        CHECK(latest_id(root) == std::nullopt);
    }
    SECTION("other database and cluster are found when asked for") {
        CHECK(latest_id(root, "orders_staging") ==
              std::optional<std::string>("20261105T000000Z-other-db"));
        CHECK(latest_id(root, k_db, "7300999999999999999") ==
              std::optional<std::string>("20261106T000000Z-other-cluster"));
        CHECK(latest_id(root, "orders_staging", "7300999999999999999") == std::nullopt);
    }
}

TEST_CASE("catalog: latest_backup of an empty catalog is nullopt", "[backup][catalog]") {
    Catalog empty;
    CHECK_FALSE(sm::backup::latest_backup(empty, k_db, k_sysid).has_value());
}

TEST_CASE("catalog: read_catalog sorts by id and lists work directories as leftovers",
          "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    put(root, manifest("20261122T000000Z-b", "2026-11-22T00:01:00Z"));
    put(root, manifest("20261121T000000Z-a", "2026-11-21T00:01:00Z"));
    // An unfinished run without a manifest and one killed after writing it.
    fs::create_directories(root / ".tmp-20261123T000000Z-manual" / "archive");
    put(root, manifest("20261124T000000Z-manual", "2026-11-24T00:01:00Z"),
        ".tmp-20261124T000000Z-manual");
    // Plain files in the root are neither backups nor leftovers.
    std::ofstream(root / "README") << "not a backup\n";
    std::ofstream(root / ".tmp-stray-file") << "x";

    Catalog c = sm::backup::read_catalog(root);
    CHECK(c.root == root);
    CHECK(backup_names(c) == std::vector<std::string>{"20261121T000000Z-a", "20261122T000000Z-b"});
    for (const auto& e : c.backups) {
        REQUIRE(e.manifest.has_value());
        CHECK(e.problem.empty());
        CHECK(e.manifest->id == e.dir.filename().string());
        CHECK(e.dir.parent_path() == root);
    }
    CHECK(c.leftovers == std::vector<fs::path>{root / ".tmp-20261123T000000Z-manual",
                                               root / ".tmp-20261124T000000Z-manual"});
}

TEST_CASE("catalog: unreadable manifests become entries with a problem", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    put(root, manifest("20261121T000000Z-ok", "2026-11-21T00:01:00Z"));

    // Edited after writing: checksum mismatch.
    fs::path edited = put(root, manifest("20261122T000000Z-edited", "2026-11-22T00:01:00Z"));
    {
        std::string text = sm::util::read_file(edited / "manifest.json");
        auto pos = text.find("\"pinned\": false");
        REQUIRE(pos != std::string::npos);
        text.replace(pos, 15, "\"pinned\": true");
        sm::util::write_file_atomic(edited / "manifest.json", text);
    }
    // Truncated.
    fs::create_directories(root / "20261123T000000Z-truncated");
    std::ofstream(root / "20261123T000000Z-truncated" / "manifest.json") << "{\"format\": 1, \"id";
    // No manifest at all.
    fs::create_directories(root / "20261124T000000Z-empty");
    // A valid manifest under the wrong directory name.
    put(root, manifest("20261125T000000Z-original", "2026-11-25T00:01:00Z"),
        "20261125T000000Z-copied");

    Catalog c = sm::backup::read_catalog(root);
    REQUIRE(backup_names(c) ==
            std::vector<std::string>{"20261121T000000Z-ok", "20261122T000000Z-edited",
                                     "20261123T000000Z-truncated", "20261124T000000Z-empty",
                                     "20261125T000000Z-copied"});
    CHECK(c.leftovers.empty());

    const CatalogEntry& ok = c.backups[0];
    CHECK(ok.manifest.has_value());
    CHECK(ok.problem.empty());

    const CatalogEntry& e1 = c.backups[1];
    CHECK_FALSE(e1.manifest.has_value());
    CHECK(contains(e1.problem, "manifest checksum mismatch"));
    CHECK(contains(e1.problem, (edited / "manifest.json").string()));

    const CatalogEntry& e2 = c.backups[2];
    CHECK_FALSE(e2.manifest.has_value());
    CHECK(contains(e2.problem, "not valid JSON"));
    CHECK(contains(e2.problem, (root / "20261123T000000Z-truncated" / "manifest.json").string()));

    const CatalogEntry& e3 = c.backups[3];
    CHECK_FALSE(e3.manifest.has_value());
    CHECK(contains(e3.problem, "missing"));
    CHECK(contains(e3.problem, (root / "20261124T000000Z-empty" / "manifest.json").string()));

    const CatalogEntry& e4 = c.backups[4];
    CHECK_FALSE(e4.manifest.has_value());
    CHECK(contains(e4.problem, "20261125T000000Z-original"));
    CHECK(contains(e4.problem, "does not match"));

    // None of them is ever chosen for a restore.
    CHECK(latest_id(root) == std::optional<std::string>("20261121T000000Z-ok"));
}

TEST_CASE("catalog: find_backup returns the entry with that id", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    put(root, manifest("20261121T000000Z-a", "2026-11-21T00:01:00Z"));
    put(root, manifest("20261122T000000Z-b", "2026-11-22T00:01:00Z", BackupState::failed));
    fs::create_directories(root / "20261123T000000Z-broken");

    Catalog c = sm::backup::read_catalog(root);
    const CatalogEntry& b = sm::backup::find_backup(c, "20261122T000000Z-b");
    CHECK(b.dir == root / "20261122T000000Z-b");
    REQUIRE(b.manifest.has_value());
    CHECK(b.manifest->state == BackupState::failed);
    // A broken backup can still be found by id (to inspect or delete it).
    const CatalogEntry& broken = sm::backup::find_backup(c, "20261123T000000Z-broken");
    CHECK_FALSE(broken.manifest.has_value());
    CHECK(contains(broken.problem, "missing"));
}

TEST_CASE("catalog: find_backup of an unknown id hints at the newest ids", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    for (const char* id : {"20261101T000000Z-one", "20261102T000000Z-two", "20261103T000000Z-three",
                           "20261104T000000Z-four"}) {
        put(root, manifest(id, "2026-11-05T00:00:00Z"));
    }
    fs::create_directories(root / ".tmp-20261105T000000Z-five");

    Catalog c = sm::backup::read_catalog(root);
    sm::Error e = capture_error([&] { sm::backup::find_backup(c, "20261199T000000Z-nope"); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK(contains(e.what(), "20261199T000000Z-nope"));
    CHECK(contains(e.what(), root.string()));
    CHECK(
        contains(e.hint(), "20261104T000000Z-four, 20261103T000000Z-three, 20261102T000000Z-two"));
    CHECK_FALSE(contains(e.hint(), "20261101T000000Z-one"));
    CHECK_FALSE(contains(e.hint(), ".tmp-"));

    // A leftover work directory is not a backup that can be found.
    sm::Error e2 = capture_error([&] { sm::backup::find_backup(c, ".tmp-20261105T000000Z-five"); });
    CHECK(e2.code() == ExitCode::invalid_input);
}

TEST_CASE("catalog: find_backup in an empty catalog says so", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    Catalog c = sm::backup::read_catalog(tmp.path());
    sm::Error e = capture_error([&] { sm::backup::find_backup(c, "20261121T000000Z-a"); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK(contains(e.what(), "20261121T000000Z-a"));
    CHECK(contains(e.hint(), "empty"));
}

TEST_CASE("catalog: a missing catalog root is an empty catalog", "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "no-such-dir" / "backups";
    Catalog c = sm::backup::read_catalog(root);
    CHECK(c.root == root);
    CHECK(c.backups.empty());
    CHECK(c.leftovers.empty());
    CHECK_FALSE(fs::exists(root));
    CHECK_FALSE(sm::backup::latest_backup(c, k_db, k_sysid).has_value());

    // A root that is a plain file reads as empty too.
    fs::path file = tmp.path() / "backups-file";
    std::ofstream(file) << "x";
    Catalog f = sm::backup::read_catalog(file);
    CHECK(f.backups.empty());
    CHECK(f.leftovers.empty());
}

TEST_CASE("catalog: newest_usable takes the latest finish of any source, or says there is none",
          "[backup][catalog]") {
    sm::util::TempDir tmp("sm-unit-catalog");
    fs::path root = tmp.path() / "backups";
    put(root, manifest("20261101T000000Z-a", "2026-11-01T00:10:00Z"));
    put(root, manifest("20261102T000000Z-other-db", "2026-11-02T00:10:00Z", BackupState::verified,
                       BackupKind::manual, "orders_staging"));
    put(root, manifest("20261103T000000Z-failed", "2026-11-03T00:10:00Z", BackupState::failed));
    CHECK(sm::backup::newest_usable(sm::backup::read_catalog(root)).dir.filename() ==
          "20261102T000000Z-other-db");

    fs::remove_all(root / "20261101T000000Z-a");
    fs::remove_all(root / "20261102T000000Z-other-db");
    Catalog failed_only = sm::backup::read_catalog(root);
    sm::Error e = capture_error([&] { sm::backup::newest_usable(failed_only); });
    CHECK(e.code() == ExitCode::invalid_input);
    CHECK(std::string(e.what()) == "no complete backup in " + root.string());
    CHECK(e.hint() == "Take one with 'safe-migrate backup create'.");
}

}  // namespace backup_catalog_test
