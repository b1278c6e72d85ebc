// Unit tests for src/backup/manifest.{hpp,cpp}: the backup manifest's text form,
// its self-checksum, field validation, finish times, backup ids and the file on disk.

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "core/checksum.hpp"
#include "unit_helpers.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_manifest_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using sm::ExitCode;
using sm::backup::BackupFile;
using sm::backup::BackupKind;
using sm::backup::BackupState;
using sm::backup::Manifest;
using sm::backup::TableRows;
using sm::backup::Verification;
using sm_test::capture_error;
using sm_test::contains;

namespace {

constexpr const char* k_sha_toc =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
constexpr const char* k_sha_data =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a";

// 2026-11-21T23:15:00Z
constexpr std::chrono::system_clock::time_point k_stamp =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + 23h + 15min;

// Every field set to a value that appears nowhere else in the document.
Manifest full_manifest() {
    Manifest m;
    m.format = 1;
    m.id = "20261121T231500Z-pre-deploy";
    m.kind = BackupKind::pre_deploy;
    m.state = BackupState::verified;
    m.label = "release-42";
    m.run_id = "run-7f3a9c";
    m.started_at = "2026-11-21T23:15:00.123Z";
    m.finished_at = "2026-11-21T23:17:42.987Z";
    m.duration_ms = 162864;
    m.created_by = "deploy@db-host-3";
    m.source.host = "db.internal.example";
    m.source.port = "6543";
    m.source.database = "orders_prod";
    m.source.system_identifier = "7300123456789012345";
    m.source.server_version = 160004;
    m.source.encoding = "UTF8";
    m.migration_head = 20261120093000;
    m.archive_format = "directory";
    m.archive = "archive";
    m.tool_version = "1.4.2";
    m.pg_dump_version = "pg_dump (PostgreSQL) 16.4";
    m.pg_dump_argv = {"pg_dump", "--format=directory", "--jobs=4", "--file=archive",
                      "--dbname=host=db.internal.example dbname=orders_prod"};
    m.files = {BackupFile{"archive/toc.dat", 24576, k_sha_toc},
               BackupFile{"archive/3456.dat.gz", 1048576, k_sha_data}};
    m.total_bytes = 1073152;
    m.header.created_at = "2026-11-21 23:15:01 UTC";
    m.header.database = "orders_prod";
    m.header.toc_entries = 217;
    m.header.compression = "gzip";
    m.header.dump_version = "1.15-0";
    m.header.format = "DIRECTORY";
    m.header.dumped_from = "16.4 (Debian 16.4-1.pgdg120+1)";
    m.header.dumped_by = "16.3";
    m.header.table_data_entries = 31;
    m.tables = {TableRows{"public.orders", 1234}, TableRows{"billing.invoices", 98765}};
    m.verifications = {
        Verification{"2026-11-21T23:18:00.000Z", "checksums", true, "2 files match"},
        Verification{"2026-11-22T01:00:00.000Z", "restore", false, "pg_restore exited with 1"}};
    m.pinned = false;
    m.error = "no error recorded";
    return m;
}

void check_same(const Manifest& a, const Manifest& b) {
    CHECK(a.format == b.format);
    CHECK(a.id == b.id);
    CHECK(a.kind == b.kind);
    CHECK(a.state == b.state);
    CHECK(a.label == b.label);
    CHECK(a.run_id == b.run_id);
    CHECK(a.started_at == b.started_at);
    CHECK(a.finished_at == b.finished_at);
    CHECK(a.duration_ms == b.duration_ms);
    CHECK(a.created_by == b.created_by);
    CHECK(a.source.host == b.source.host);
    CHECK(a.source.port == b.source.port);
    CHECK(a.source.database == b.source.database);
    CHECK(a.source.system_identifier == b.source.system_identifier);
    CHECK(a.source.server_version == b.source.server_version);
    CHECK(a.source.encoding == b.source.encoding);
    CHECK(a.migration_head == b.migration_head);
    CHECK(a.archive_format == b.archive_format);
    CHECK(a.archive == b.archive);
    CHECK(a.tool_version == b.tool_version);
    CHECK(a.pg_dump_version == b.pg_dump_version);
    CHECK(a.pg_dump_argv == b.pg_dump_argv);
    REQUIRE(a.files.size() == b.files.size());
    for (size_t i = 0; i < a.files.size(); ++i) {
        CHECK(a.files[i].name == b.files[i].name);
        CHECK(a.files[i].bytes == b.files[i].bytes);
        CHECK(a.files[i].sha256 == b.files[i].sha256);
    }
    CHECK(a.total_bytes == b.total_bytes);
    CHECK(a.header.created_at == b.header.created_at);
    CHECK(a.header.database == b.header.database);
    CHECK(a.header.toc_entries == b.header.toc_entries);
    CHECK(a.header.compression == b.header.compression);
    CHECK(a.header.dump_version == b.header.dump_version);
    CHECK(a.header.format == b.header.format);
    CHECK(a.header.dumped_from == b.header.dumped_from);
    CHECK(a.header.dumped_by == b.header.dumped_by);
    CHECK(a.header.table_data_entries == b.header.table_data_entries);
    REQUIRE(a.tables.size() == b.tables.size());
    for (size_t i = 0; i < a.tables.size(); ++i) {
        CHECK(a.tables[i].table == b.tables[i].table);
        CHECK(a.tables[i].rows == b.tables[i].rows);
    }
    REQUIRE(a.verifications.size() == b.verifications.size());
    for (size_t i = 0; i < a.verifications.size(); ++i) {
        CHECK(a.verifications[i].at == b.verifications[i].at);
        CHECK(a.verifications[i].how == b.verifications[i].how);
        CHECK(a.verifications[i].ok == b.verifications[i].ok);
        CHECK(a.verifications[i].detail == b.verifications[i].detail);
    }
    CHECK(a.pinned == b.pinned);
    CHECK(a.error == b.error);
}

// Re-signs an edited document the way manifest.cpp does: sha256 of the compact
// dump of the body without "manifest_sha256".
std::string resign(json doc) {
    json body = doc;
    body.erase("manifest_sha256");
    doc["manifest_sha256"] = sm::core::sha256_hex(body.dump());
    return doc.dump(2) + "\n";
}

// The full manifest's document after edit, validly re-signed.
template <typename F>
std::string edited(F&& edit) {
    json doc = json::parse(sm::backup::manifest_to_text(full_manifest()));
    edit(doc);
    return resign(doc);
}

const fs::path& manifest_path() {
    static const fs::path path =
        "/var/lib/safe-migrate/backups/20261121T231500Z-pre-deploy/manifest.json";
    return path;
}

sm::Error parse_error(const std::string& text) {
    return capture_error([&] { sm::backup::parse_manifest(text, manifest_path()); });
}

// Replaces the one occurrence of from by to; fails the test when from does not
// occur exactly once.
std::string replace_once(const std::string& text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    REQUIRE(text.find(from, pos + 1) == std::string::npos);
    std::string out = text;
    out.replace(pos, from.size(), to);
    return out;
}

}  // namespace

TEST_CASE("manifest: text round trip keeps every field", "[backup][manifest]") {
    Manifest m = full_manifest();
    std::string text = sm::backup::manifest_to_text(m);
    CHECK(text.back() == '\n');
    CHECK(contains(text, "\"manifest_sha256\""));
    check_same(sm::backup::parse_manifest(text, manifest_path()), m);
}

TEST_CASE("manifest: round trip of every state and kind", "[backup][manifest]") {
    const BackupState states[] = {BackupState::running, BackupState::complete,
                                  BackupState::verified, BackupState::failed};
    const BackupKind kinds[] = {BackupKind::manual, BackupKind::pre_deploy,
                                BackupKind::pre_restore};
    for (BackupState s : states) {
        for (BackupKind k : kinds) {
            Manifest m = full_manifest();
            m.state = s;
            m.kind = k;
            Manifest back =
                sm::backup::parse_manifest(sm::backup::manifest_to_text(m), manifest_path());
            CHECK(back.state == s);
            CHECK(back.kind == k);
        }
    }
    CHECK(std::string(sm::backup::state_name(BackupState::running)) == "running");
    CHECK(std::string(sm::backup::state_name(BackupState::complete)) == "complete");
    CHECK(std::string(sm::backup::state_name(BackupState::verified)) == "verified");
    CHECK(std::string(sm::backup::state_name(BackupState::failed)) == "failed");
    CHECK(std::string(sm::backup::kind_name(BackupKind::manual)) == "manual");
    CHECK(std::string(sm::backup::kind_name(BackupKind::pre_deploy)) == "pre-deploy");
    CHECK(std::string(sm::backup::kind_name(BackupKind::pre_restore)) == "pre-restore");
    json doc = json::parse(sm::backup::manifest_to_text(full_manifest()));
    CHECK(doc.at("kind") == "pre-deploy");
    CHECK(doc.at("state") == "verified");
}

TEST_CASE("manifest: migration_head unset round trips as null", "[backup][manifest]") {
    Manifest m = full_manifest();
    m.migration_head.reset();
    std::string text = sm::backup::manifest_to_text(m);
    CHECK(json::parse(text).at("migration_head").is_null());
    Manifest back = sm::backup::parse_manifest(text, manifest_path());
    CHECK_FALSE(back.migration_head.has_value());

    m.migration_head = 0;
    back = sm::backup::parse_manifest(sm::backup::manifest_to_text(m), manifest_path());
    REQUIRE(back.migration_head.has_value());
    CHECK(*back.migration_head == 0);
}

TEST_CASE("manifest: pinned and failed backups and special characters round trip",
          "[backup][manifest]") {
    Manifest m = full_manifest();
    m.state = BackupState::failed;
    m.pinned = true;
    m.label = "quote \" backslash \\ tab \t umlaut \xc3\xbc";
    m.error = "pg_dump: error: connection to server lost\nline two";
    m.finished_at = "";
    check_same(sm::backup::parse_manifest(sm::backup::manifest_to_text(m), manifest_path()), m);
}

TEST_CASE("manifest: a default manifest with empty lists round trips", "[backup][manifest]") {
    Manifest m;
    Manifest back = sm::backup::parse_manifest(sm::backup::manifest_to_text(m), manifest_path());
    check_same(back, m);
    CHECK(back.files.empty());
    CHECK(back.tables.empty());
    CHECK(back.verifications.empty());
    CHECK(back.state == BackupState::running);
    CHECK(back.kind == BackupKind::manual);
}

TEST_CASE("manifest: the checksum covers the body not the layout", "[backup][manifest]") {
    std::string text = sm::backup::manifest_to_text(full_manifest());
    json doc = json::parse(text);
    json body = doc;
    body.erase("manifest_sha256");
    CHECK(doc.at("manifest_sha256") == sm::core::sha256_hex(body.dump()));
    // Re-indented or compacted text with the same content is still valid.
    check_same(sm::backup::parse_manifest(doc.dump(), manifest_path()), full_manifest());
    check_same(sm::backup::parse_manifest(doc.dump(7), manifest_path()), full_manifest());
}

TEST_CASE("manifest: edited values fail the checksum naming the path", "[backup][manifest]") {
    std::string text = sm::backup::manifest_to_text(full_manifest());
    auto expect_mismatch = [&](const std::string& changed) {
        REQUIRE(changed != text);
        sm::Error e = parse_error(changed);
        CHECK(e.code() == ExitCode::backup_failed);
        CHECK(contains(e.what(), "manifest checksum mismatch"));
        CHECK(contains(e.what(), manifest_path().string()));
    };
    SECTION("a file's sha256") {
        std::string other = k_sha_toc;
        other[10] = other[10] == 'a' ? 'b' : 'a';
        expect_mismatch(replace_once(text, k_sha_toc, other));
    }
    SECTION("pinned false to true") {
        expect_mismatch(replace_once(text, "\"pinned\": false", "\"pinned\": true"));
    }
    SECTION("a row count") {
        expect_mismatch(replace_once(text, "\"rows\": 1234", "\"rows\": 1235"));
    }
    SECTION("the state") {
        expect_mismatch(replace_once(text, "\"state\": \"verified\"", "\"state\": \"complete\""));
    }
    SECTION("the system identifier") {
        expect_mismatch(replace_once(text, "7300123456789012345", "7300123456789012346"));
    }
    SECTION("migration_head set to null") {
        expect_mismatch(replace_once(text, "20261120093000", "null"));
    }
    SECTION("the recorded checksum itself") {
        json doc = json::parse(text);
        std::string sum = doc.at("manifest_sha256");
        std::string other = sum;
        other[0] = other[0] == '0' ? '1' : '0';
        expect_mismatch(replace_once(text, sum, other));
    }
    SECTION("a removed file entry") {
        json doc = json::parse(text);
        doc["files"].erase(1);
        expect_mismatch(doc.dump(2));
    }
}

TEST_CASE("manifest: changing any single byte of any value fails the checksum",
          "[backup][manifest]") {
    const std::string text = sm::backup::manifest_to_text(full_manifest());
    // Positions of value bytes: alphanumerics inside string values (not keys,
    // not escape sequences) and digits of numbers.
    std::vector<size_t> positions;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '"') {
            size_t end = i + 1;
            std::vector<size_t> inside;
            while (text[end] != '"') {
                if (text[end] == '\\') {
                    end += 2;
                    continue;
                }
                if (std::isalnum(static_cast<unsigned char>(text[end])) != 0) {
                    inside.push_back(end);
                }
                ++end;
            }
            size_t next = text.find_first_not_of(" \n", end + 1);
            bool is_key = next != std::string::npos && text[next] == ':';
            if (!is_key) {
                positions.insert(positions.end(), inside.begin(), inside.end());
            }
            i = end;
        } else if (std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
            positions.push_back(i);
        }
    }
    REQUIRE(positions.size() > 500);
    size_t mismatches = 0;
    for (size_t pos : positions) {
        std::string changed = text;
        char c = changed[pos];
        if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            changed[pos] = c == '9' ? '8' : static_cast<char>(c + 1);
        } else {
            changed[pos] =
                (c == 'z' || c == 'Z') ? static_cast<char>(c - 1) : static_cast<char>(c + 1);
        }
        try {
            sm::backup::parse_manifest(changed, manifest_path());
            FAIL("no error for a change at byte " << pos << ": " << text.substr(pos, 20));
        } catch (const sm::Error& e) {
            std::string what = e.what();
            if (contains(what, "manifest checksum mismatch") &&
                contains(what, manifest_path().string())) {
                ++mismatches;
            } else {
                FAIL("byte " << pos << " gave: " << what);
            }
        }
    }
    CHECK(mismatches == positions.size());
}

TEST_CASE("manifest: a missing key is named in the error", "[backup][manifest]") {
    struct Case {
        std::string pointer;
        std::string key;
    };
    const std::vector<Case> cases = {
        {"/id", "'id'"},
        {"/format", "'format'"},
        {"/kind", "'kind'"},
        {"/state", "'state'"},
        {"/finished_at", "'finished_at'"},
        {"/source", "'source'"},
        {"/source/system_identifier", "'source.system_identifier'"},
        {"/source/server_version", "'source.server_version'"},
        {"/migration_head", "'migration_head'"},
        {"/pg_dump_argv", "'pg_dump_argv'"},
        {"/files", "'files'"},
        {"/files/1/bytes", "'files[].bytes'"},
        {"/files/0/sha256", "'files[].sha256'"},
        {"/listing", "'listing'"},
        {"/listing/toc_entries", "'listing.toc_entries'"},
        {"/tables/1/rows", "'tables[].rows'"},
        {"/verifications/0/ok", "'verifications[].ok'"},
        {"/pinned", "'pinned'"},
        {"/error", "'error'"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.pointer);
        std::string text = edited([&](json& doc) {
            json::json_pointer ptr(c.pointer);
            doc.at(ptr.parent_pointer()).erase(ptr.back());
        });
        sm::Error e = parse_error(text);
        CHECK(e.code() == ExitCode::backup_failed);
        CHECK(contains(e.what(), manifest_path().string()));
        CHECK(contains(e.what(), "key " + c.key + " is missing"));
        CHECK_FALSE(contains(e.what(), "checksum"));
    }
}

TEST_CASE("manifest: a missing manifest_sha256 is named", "[backup][manifest]") {
    json doc = json::parse(sm::backup::manifest_to_text(full_manifest()));
    doc.erase("manifest_sha256");
    sm::Error e = parse_error(doc.dump(2));
    CHECK(contains(e.what(), manifest_path().string()));
    CHECK(contains(e.what(), "key 'manifest_sha256' is missing"));
}

TEST_CASE("manifest: a value of the wrong type is named in the error", "[backup][manifest]") {
    struct Case {
        std::string pointer;
        json value;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {"/files/0/bytes", "24576", "key 'files[].bytes' must be an integer"},
        {"/files/1/sha256", 12345, "key 'files[].sha256' must be a string"},
        {"/source/system_identifier", 7300123456789012345LL,
         "key 'source.system_identifier' must be a string"},
        {"/source/server_version", "160004", "key 'source.server_version' must be an integer"},
        {"/duration_ms", 1.5, "key 'duration_ms' must be an integer"},
        {"/id", nullptr, "key 'id' must be a string"},
        {"/pinned", "yes", "key 'pinned' must be true or false"},
        {"/verifications/1/ok", 0, "key 'verifications[].ok' must be true or false"},
        {"/files", json::object(), "key 'files' must be a list"},
        {"/tables", "public.orders", "key 'tables' must be a list"},
        // A dotted version ("1.2.10") is a string; a string that is no version is refused.
        {"/migration_head", "2026-11-20",
         R"(key 'migration_head' must be a version (an integer or "1.2") or null)"},
        {"/migration_head", 2.5,
         R"(key 'migration_head' must be a version (an integer or "1.2") or null)"},
        {"/tables/0/rows", "1234", "key 'tables[].rows' must be an integer"},
        {"/listing/table_data_entries", true,
         "key 'listing.table_data_entries' must be an integer"},
        // Not an object: its first key counts as missing.
        {"/source", "db.internal.example", "key 'source.host' is missing"},
        {"/format", 2, "key 'format' is 2; this version reads 1"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.pointer, c.value.dump());
        std::string text = edited([&](json& doc) { doc[json::json_pointer(c.pointer)] = c.value; });
        sm::Error e = parse_error(text);
        CHECK(e.code() == ExitCode::backup_failed);
        CHECK(contains(e.what(), manifest_path().string()));
        CHECK(contains(e.what(), c.expected));
    }
}

TEST_CASE("manifest: unknown state and kind values are rejected", "[backup][manifest]") {
    SECTION("state") {
        for (const char* bad : {"done", "Complete", "", "pre-deploy"}) {
            CAPTURE(bad);
            sm::Error e = parse_error(edited([&](json& doc) { doc["state"] = bad; }));
            CHECK(contains(e.what(), manifest_path().string()));
            CHECK(contains(e.what(),
                           "key 'state' is not one of running, complete, verified, failed"));
        }
    }
    SECTION("kind") {
        for (const char* bad : {"nightly", "pre_deploy", "", "verified"}) {
            CAPTURE(bad);
            sm::Error e = parse_error(edited([&](json& doc) { doc["kind"] = bad; }));
            CHECK(contains(e.what(), manifest_path().string()));
            CHECK(contains(e.what(), "key 'kind' is not one of manual, pre-deploy, pre-restore"));
        }
    }
}

TEST_CASE("manifest: invalid JSON names the path", "[backup][manifest]") {
    std::string text = sm::backup::manifest_to_text(full_manifest());
    for (const std::string& bad :
         {text.substr(0, text.size() / 2), std::string(), std::string("{\"id\": "),
          std::string("not json at all"), text + "}"}) {
        CAPTURE(bad.size());
        sm::Error e = parse_error(bad);
        CHECK(e.code() == ExitCode::backup_failed);
        CHECK(contains(e.what(), manifest_path().string()));
        CHECK(contains(e.what(), "not valid JSON"));
    }
}

TEST_CASE("manifest: a document that is not an object is rejected", "[backup][manifest]") {
    for (const char* bad : {"[]", "42", "\"manifest\"", "null"}) {
        CAPTURE(bad);
        sm::Error e = parse_error(bad);
        CHECK(e.code() == ExitCode::backup_failed);
        CHECK(contains(e.what(), manifest_path().string()));
        CHECK(contains(e.what(), "(document)"));
    }
}

TEST_CASE("manifest: finished parses UTC times with and without milliseconds",
          "[backup][manifest]") {
    Manifest m;
    m.finished_at = "2026-11-21T23:15:00.123Z";
    CHECK(m.finished() == k_stamp + 123ms);
    m.finished_at = "2026-11-21T23:15:00Z";
    CHECK(m.finished() == k_stamp);
    m.finished_at = "2026-01-01T00:00:00.000Z";
    CHECK(m.finished() == std::chrono::sys_days{std::chrono::year{2026} / 1 / 1});
    m.finished_at = "";
    CHECK(m.finished() == std::chrono::system_clock::time_point{});
    m.finished_at = "yesterday";
    CHECK(m.finished() == std::chrono::system_clock::time_point{});
    m.finished_at = "2026-11-21";
    CHECK(m.finished() == std::chrono::system_clock::time_point{});
}

TEST_CASE("manifest: finished orders times within one second", "[backup][manifest]") {
    Manifest a;
    Manifest b;
    a.finished_at = "2026-11-21T23:15:00.099Z";
    b.finished_at = "2026-11-21T23:15:00.100Z";
    CHECK(a.finished() < b.finished());
    CHECK(b.finished() - a.finished() == 1ms);
}

TEST_CASE("manifest: new_backup_id is the UTC stamp plus a safe suffix", "[backup][manifest]") {
    using sm::backup::new_backup_id;
    CHECK(new_backup_id(k_stamp, "pre-deploy") == "20261121T231500Z-pre-deploy");
    // Sub-second parts are dropped.
    CHECK(new_backup_id(k_stamp + 999ms, "manual") == "20261121T231500Z-manual");
    CHECK(new_backup_id(k_stamp, "") == "20261121T231500Z");
    CHECK(new_backup_id(k_stamp, "Release_1.2 final/../x") ==
          "20261121T231500Z-Release_1-2-final----x");
    CHECK(new_backup_id(k_stamp, "a:b;c*d?e") == "20261121T231500Z-a-b-c-d-e");
    // Each byte of a multi-byte character becomes one '-'.
    CHECK(new_backup_id(k_stamp, "caf\xc3\xa9") == "20261121T231500Z-caf--");
    CHECK(new_backup_id(k_stamp, "..") == "20261121T231500Z---");
    std::string long_label(60, 'x');
    long_label[39] = 'y';
    long_label[40] = 'z';
    std::string id = new_backup_id(k_stamp, long_label);
    CHECK(id == "20261121T231500Z-" + std::string(39, 'x') + "y");
    CHECK(id.size() == std::string("20261121T231500Z-").size() + 40);
    CHECK(new_backup_id(k_stamp, std::string(40, 'q')) ==
          "20261121T231500Z-" + std::string(40, 'q'));
}

TEST_CASE("manifest: write_manifest and read_manifest round trip with mode 0600",
          "[backup][manifest]") {
    sm::util::TempDir tmp("sm-unit-manifest");
    fs::path dir = tmp.path() / "20261121T231500Z-pre-deploy";
    fs::create_directory(dir);
    Manifest m = full_manifest();
    sm::backup::write_manifest(dir, m);

    fs::path file = dir / "manifest.json";
    REQUIRE(fs::is_regular_file(file));
    CHECK((fs::status(file).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    // Only the manifest: no temporary file left beside it.
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    CHECK(names == std::vector<std::string>{"manifest.json"});
    CHECK(sm::util::read_file(file) == sm::backup::manifest_to_text(m));
    check_same(sm::backup::read_manifest(dir), m);

    // Rewriting replaces the content and keeps the mode.
    m.state = BackupState::complete;
    m.pinned = true;
    sm::backup::write_manifest(dir, m);
    Manifest back = sm::backup::read_manifest(dir);
    CHECK(back.state == BackupState::complete);
    CHECK(back.pinned);
    CHECK((fs::status(file).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("manifest: read_manifest without manifest.json names the path", "[backup][manifest]") {
    sm::util::TempDir tmp("sm-unit-manifest");
    fs::path dir = tmp.path() / "20261121T231500Z-manual";
    fs::create_directory(dir);
    sm::Error e = capture_error([&] { sm::backup::read_manifest(dir); });
    CHECK(e.code() == ExitCode::backup_failed);
    CHECK(contains(e.what(), (dir / "manifest.json").string()));
    CHECK(contains(e.what(), "missing"));
}

TEST_CASE("manifest: read_manifest reports an edited file with its path", "[backup][manifest]") {
    sm::util::TempDir tmp("sm-unit-manifest");
    fs::path dir = tmp.path() / "20261121T231500Z-pre-deploy";
    fs::create_directory(dir);
    sm::backup::write_manifest(dir, full_manifest());
    fs::path file = dir / "manifest.json";
    std::string text = sm::util::read_file(file);
    sm::util::write_file_atomic(file, replace_once(text, "\"rows\": 98765", "\"rows\": 98766"));
    sm::Error e = capture_error([&] { sm::backup::read_manifest(dir); });
    CHECK(contains(e.what(), file.string()));
    CHECK(contains(e.what(), "manifest checksum mismatch"));
}

TEST_CASE("manifest: encryption is recorded only for encrypted backups", "[backup][manifest]") {
    Manifest plain = full_manifest();
    std::string plain_text = sm::backup::manifest_to_text(plain);
    CHECK_FALSE(contains(plain_text, "\"encryption\""));
    CHECK_FALSE(sm::backup::parse_manifest(plain_text, manifest_path()).encrypted());

    Manifest m = full_manifest();
    m.cipher = "aes-256-gcm";
    m.cipher_segment_bytes = 1 << 20;
    const std::string fingerprint(64, 'f');
    m.key_fingerprint = fingerprint;
    Manifest back = sm::backup::parse_manifest(sm::backup::manifest_to_text(m), manifest_path());
    check_same(back, m);
    CHECK(back.encrypted());
    CHECK(back.cipher == "aes-256-gcm");
    CHECK(back.cipher_segment_bytes == 1 << 20);
    CHECK(back.key_fingerprint == fingerprint);

    // The fingerprint is under the manifest's checksum, and a half-written
    // encryption entry is named.
    json doc = json::parse(sm::backup::manifest_to_text(m));
    doc["encryption"].erase("key_fingerprint");
    CHECK(contains(parse_error(resign(doc)).what(), "key 'encryption.key_fingerprint' is missing"));
    std::string text = sm::backup::manifest_to_text(m);
    CHECK(contains(parse_error(replace_once(text, fingerprint, std::string(64, 'e'))).what(),
                   "manifest checksum mismatch"));
}

}  // namespace backup_manifest_test
