// Unit tests for src/backup/pgbackrest.{hpp,cpp} and the restore-point parts
// of the manifest, the catalog and the config: reading `pgbackrest info
// --output=json`, the command lines printed for a DBA, a restore point's
// manifest round trip, --kind for --latest, and [backup] engine.

#include <catch2/catch.hpp>
#include <filesystem>

#include "backup/catalog.hpp"
#include "backup/manifest.hpp"
#include "backup/pgbackrest.hpp"
#include "core/config.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_pgbackrest_test {

namespace fs = std::filesystem;
using sm::ExitCode;
using sm::backup::BackupKind;
using sm::backup::KindFilter;
using sm::backup::Manifest;
using sm_test::capture_error;
using sm_test::contains;

namespace {

// Two stanzas, as pgBackRest 2.45 prints them (trimmed): main has an
// incremental, a full, a differential and a failed full backup.
const char* const k_info = R"([
 {"name": "other", "backup": [{"label": "X", "type": "full", "error": false,
   "timestamp": {"start": 1796600000, "stop": 1796600100}}]},
 {"name": "main", "backup": [
   {"label": "20261206-100000F", "type": "full", "error": false,
    "timestamp": {"start": 1796576363, "stop": 1796576379}},
   {"label": "20261206-100000F_20261206-110000D", "type": "diff", "error": false,
    "timestamp": {"start": 1796580000, "stop": 1796580010}},
   {"label": "20261206-100000F_20261206-120000I", "type": "incr", "error": false,
    "timestamp": {"start": 1796583600, "stop": 1796583610}},
   {"label": "20261206-130000F", "type": "full", "error": true,
    "timestamp": {"start": 1796587200, "stop": 1796587300}}]}
])";

Manifest restore_point(const std::string& id, const std::string& finished_at, BackupKind kind) {
    Manifest m;
    m.id = id;
    m.kind = kind;
    m.state = sm::backup::BackupState::complete;
    m.started_at = finished_at;
    m.finished_at = finished_at;
    m.source.database = "app";
    m.source.system_identifier = "7716236653705374048";
    if (kind == BackupKind::restore_point) {
        m.restore_point = sm::backup::RestorePointInfo{"safe-migrate-1234", "0/4016070", "main",
                                                       "20261206-100000F"};
    }
    return m;
}

}  // namespace

TEST_CASE("pgbackrest: the newest full or differential backup, errors and increments aside",
          "[backup][pgbackrest]") {
    auto newest = sm::backup::newest_base_backup(k_info, "main");
    REQUIRE(newest);
    CHECK(newest->label == "20261206-100000F_20261206-110000D");
    CHECK(newest->type == "diff");
    CHECK(newest->stopped == std::chrono::system_clock::from_time_t(1796580010));
    // Before a time: only those that had finished by then.
    auto before = sm::backup::newest_base_backup(
        k_info, "main", std::chrono::system_clock::from_time_t(1796580000));
    REQUIRE(before);
    CHECK(before->label == "20261206-100000F");
    CHECK_FALSE(sm::backup::newest_base_backup(k_info, "main",
                                               std::chrono::system_clock::from_time_t(1796576000)));
    CHECK_FALSE(sm::backup::newest_base_backup(R"([{"name": "main", "backup": []}])", "main"));
}

TEST_CASE("pgbackrest: an unknown stanza and text that is not JSON are named",
          "[backup][pgbackrest]") {
    sm::Error missing = capture_error([] { sm::backup::newest_base_backup(k_info, "nosuch"); });
    CHECK(missing.code() == ExitCode::backup_failed);
    CHECK(contains(missing.what(), "pgbackrest info does not list stanza nosuch"));
    CHECK(contains(missing.hint(), "pgbackrest --stanza=nosuch stanza-create"));
    sm::Error garbage = capture_error([] { sm::backup::newest_base_backup("ERROR: x", "main"); });
    CHECK(contains(garbage.what(), "pgbackrest info did not print JSON"));
}

TEST_CASE("pgbackrest: command lines name the config first and quote what needs it",
          "[backup][pgbackrest]") {
    sm::backup::PgBackRest p{"main", fs::path("/etc/pg br/pgbackrest.conf"), std::nullopt};
    CHECK(
        sm::backup::pgbackrest_args(p, "check") ==
        std::vector<std::string>{"--config=/etc/pg br/pgbackrest.conf", "--stanza=main", "check"});
    CHECK(sm::backup::pgbackrest_command_line(p, "restore", {"--type=name", "--target=it's"}) ==
          "pgbackrest '--config=/etc/pg br/pgbackrest.conf' --stanza=main restore --type=name "
          "'--target=it'\\''s'");
    p.config.reset();
    CHECK(sm::backup::pgbackrest_command_line(p, "backup", {"--type=full"}) ==
          "pgbackrest --stanza=main backup --type=full");
}

TEST_CASE("manifest: a restore point round-trips with its name, LSN, stanza and base backup",
          "[backup][pgbackrest]") {
    sm::util::TempDir tmp("sm-unit-rp");
    Manifest m = restore_point("20261206T170000Z-restore-point", "2026-12-06T17:00:00.000Z",
                               BackupKind::restore_point);
    sm::backup::write_manifest(tmp.path(), m);
    Manifest back = sm::backup::read_manifest(tmp.path());
    CHECK(back.kind == BackupKind::restore_point);
    REQUIRE(back.restore_point);
    CHECK(back.restore_point->name == "safe-migrate-1234");
    CHECK(back.restore_point->lsn == "0/4016070");
    CHECK(back.restore_point->stanza == "main");
    CHECK(back.restore_point->base_backup == "20261206-100000F");
    // Other kinds carry no restore_point key at all.
    Manifest dump = restore_point("d", "2026-12-06T17:00:00.000Z", BackupKind::manual);
    CHECK_FALSE(contains(sm::backup::manifest_to_text(dump), "restore_point"));
}

TEST_CASE("catalog: --latest takes the newest of either kind unless --kind narrows it",
          "[backup][pgbackrest]") {
    sm::util::TempDir tmp("sm-unit-rp");
    for (const auto& m :
         {restore_point("a-dump", "2026-12-06T10:00:00.000Z", BackupKind::pre_deploy),
          restore_point("b-point", "2026-12-06T11:00:00.000Z", BackupKind::restore_point),
          restore_point("c-dump", "2026-12-06T09:00:00.000Z", BackupKind::manual)}) {
        fs::create_directories(tmp.path() / m.id);
        sm::backup::write_manifest(tmp.path() / m.id, m);
    }
    auto catalog = sm::backup::read_catalog(tmp.path());
    auto latest = [&](KindFilter k) {
        return sm::backup::latest_backup(catalog, "app", "7716236653705374048", k)->manifest->id;
    };
    CHECK(latest(KindFilter::any) == "b-point");
    CHECK(latest(KindFilter::logical) == "a-dump");
    CHECK(latest(KindFilter::restore_point) == "b-point");
}

TEST_CASE("config: [backup] engine, stanza and the base backup's age", "[config][pgbackrest]") {
    auto c = sm::core::parse_config(
        "[backup]\nengine = \"pgbackrest\"\nstanza = \"main\"\nmax_base_backup_age = \"6h\"\n"
        "take_base_backup = true\npgbackrest_config = \"ops/pgbackrest.conf\"\n",
        "/srv/app/safe-migrate.toml", std::nullopt);
    CHECK(c.backup.engine == "pgbackrest");
    CHECK(c.backup.stanza == "main");
    CHECK(c.backup.max_base_backup_age == std::chrono::hours(6));
    CHECK(c.backup.take_base_backup);
    CHECK(c.backup.pgbackrest_config == fs::path("/srv/app/ops/pgbackrest.conf"));
    auto defaults = sm::core::parse_config("", "/srv/app/safe-migrate.toml", std::nullopt);
    CHECK(defaults.backup.engine == "pg_dump");
    CHECK(defaults.backup.max_base_backup_age == std::chrono::hours(24));

    sm::Error no_stanza = capture_error([] {
        sm::core::parse_config("[backup]\nengine = \"pgbackrest\"\n", "/srv/app/safe-migrate.toml",
                               std::nullopt);
    });
    CHECK(no_stanza.code() == ExitCode::invalid_input);
    CHECK(contains(no_stanza.what(),
                   "/srv/app/safe-migrate.toml: [backup] engine = "
                   "\"pgbackrest\" needs stanza"));
    sm::Error wrong = capture_error([] {
        sm::core::parse_config("[backup]\nengine = \"barman\"\n", "/srv/app/safe-migrate.toml",
                               std::nullopt);
    });
    CHECK(contains(wrong.what(), "must be \"pg_dump\" or \"pgbackrest\""));
}

}  // namespace backup_pgbackrest_test
