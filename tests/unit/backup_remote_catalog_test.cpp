// Unit tests for src/backup/remote_catalog.{hpp,cpp}, storage_local.cpp and
// s3_http's encoding: the remote catalog's logic over a directory as storage.

#include <catch2/catch.hpp>
#include <fstream>

#include "backup/digest.hpp"
#include "backup/remote_catalog.hpp"
#include "backup/retention.hpp"
#include "backup/s3_http.hpp"
#include "backup/storage.hpp"
#include "core/checksum.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_remote_catalog_test {

namespace fs = std::filesystem;
using namespace sm::backup;

namespace {

// A backup directory with two files and its manifest.
Manifest make_backup(const fs::path& dir, const std::string& id) {
    fs::create_directories(dir / "archive");
    std::ofstream(dir / "archive" / "toc.dat") << "table of contents";
    std::ofstream(dir / "archive" / "3001.dat.gz") << std::string(5000, 'x');
    Manifest m;
    m.id = id;
    m.state = BackupState::complete;
    m.finished_at = "2026-11-30T00:00:00.000Z";
    for (const char* name : {"archive/3001.dat.gz", "archive/toc.dat"}) {
        BackupFile f;
        f.name = name;
        f.sha256 = sm::core::sha256_file(dir / name, &f.bytes);
        m.files.push_back(f);
    }
    write_manifest(dir, m);
    return m;
}

}  // namespace

TEST_CASE("s3_encode keeps unreserved bytes and encodes the rest as SigV4 does") {
    CHECK(s3_encode("a-b_c.d~e/f g+h=&", true) == "a-b_c.d~e/f%20g%2Bh%3D%26");
    CHECK(s3_encode("x/y", false) == "x%2Fy");
}

TEST_CASE("md5_base64 is the Content-MD5 of the bytes") {
    CHECK(md5_base64("hello\n") == "sZRqySSS0jR8YjW00mERhA==");
    Sha256Stream s;
    s.update("hel");
    s.update("lo\n");
    CHECK(s.hex() == sm::core::sha256_hex("hello\n"));
}

TEST_CASE("a backup uploaded to storage downloads with every file checked") {
    sm::util::TempDir work("sm-remote-unit");
    Manifest m = make_backup(work.path() / "src" / "b1", "b1");
    auto storage = make_local_storage(work.path() / "store");
    upload_backup(*storage, work.path() / "src" / "b1", m);
    auto objects = storage->list("b1/");
    REQUIRE(objects.size() == 3);
    CHECK(objects[2].key == "b1/manifest.json");

    CHECK(download_backup(*storage, work.path() / "copy" / "b1", m).empty());
    CHECK(sm::util::read_file(work.path() / "copy" / "b1" / "archive" / "toc.dat") ==
          "table of contents");

    // Truncated, changed and missing objects are each named with their storage.
    fs::resize_file(work.path() / "store" / "b1" / "archive" / "3001.dat.gz", 10);
    std::ofstream(work.path() / "store" / "b1" / "archive" / "toc.dat") << "table of contentz";
    auto problems = download_backup(*storage, work.path() / "copy" / "b1", m);
    std::string store = (work.path() / "store").string();
    REQUIRE(problems.size() == 2);
    CHECK(problems[0] == store +
                             "/b1/archive/3001.dat.gz: wrong size (10 bytes, the manifest "
                             "recorded 5000)");
    CHECK(problems[1] == store + "/b1/archive/toc.dat: wrong checksum (contents changed)");
    storage->remove("b1/archive/toc.dat");
    CHECK(download_backup(*storage, work.path() / "copy" / "b1", m).back() ==
          store + "/b1/archive/toc.dat: missing");
}

TEST_CASE("prune decides to delete incomplete remote backups") {
    Catalog catalog;
    CatalogEntry incomplete;
    incomplete.dir = "/tmp/x/20261130T000000Z-manual";
    incomplete.incomplete = true;
    catalog.backups.push_back(incomplete);
    auto decisions = prune_decisions(catalog, {}, std::chrono::system_clock::now());
    REQUIRE(decisions.size() == 1);
    CHECK(decisions[0].id == "20261130T000000Z-manual");
    CHECK_FALSE(decisions[0].keep);
    CHECK(decisions[0].reason == "incomplete: no manifest");
}

TEST_CASE("a local catalog's backups are where they always were") {
    sm::core::BackupSettings settings;
    settings.dir = "/srv/backups";
    CHECK(local_backup_dir(settings, "b1") == fs::path("/srv/backups/b1"));
    CHECK(backup_location(settings, "b1") == "/srv/backups/b1");
    settings.storage = "s3";
    settings.s3.bucket = "bk";
    settings.s3.prefix = "team/app";
    CHECK(backup_location(settings, "b1") == "s3://bk/team/app/b1");
    settings.cache_dir = "/var/cache/sm";
    CHECK(local_backup_dir(settings, "b1") == fs::path("/var/cache/sm/b1"));
}

}  // namespace backup_remote_catalog_test
