// Encryption at rest against the suite's cluster: an encrypted backup is
// created, verified and restored with its key; a wrong or missing key stops
// verify and restore (exit 7) before anything is touched; a changed segment is
// named by verify and stops the restore; no plaintext is stored or left
// behind, and the key never appears in output or the manifest.
#include <openssl/rand.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "backup/manifest.hpp"
#include "backup/segment_cipher.hpp"
#include "core/base64.hpp"
#include "core/checksum.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_encryption_test {

using namespace sm::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* k_key_var = "SM_TEST_BACKUP_KEY";

// A fresh key: base64 of 32 random bytes, and the bytes.
struct TestKey {
    std::string bytes;
    std::string text;
};

TestKey new_key() {
    TestKey key;
    key.bytes.resize(32);
    REQUIRE(RAND_bytes(reinterpret_cast<unsigned char*>(key.bytes.data()), 32) == 1);
    key.text = sm::core::base64_encode(reinterpret_cast<const unsigned char*>(key.bytes.data()),
                                       key.bytes.size());
    return key;
}

// Uncompressed, so plaintext on disk would show; the key through ${VAR}.
std::string encrypted_config(const Project& p) {
    return p.backup_section() + "compression = 0\nencryption_key = \"${" + k_key_var + "}\"\n";
}

void load_rows(const TestDatabase& db, int rows) {
    db.query(
        "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);"
        "INSERT INTO customers SELECT g, 'user' || g || '@plaintext.example' "
        "FROM generate_series(1, " +
        std::to_string(rows) + ") g;");
}

std::map<std::string, std::string> with_key(const TestKey& key) {
    return {{k_key_var, key.text}};
}

json list_backups(const Project& p) {
    auto r = run_tool(p.args({"backup", "list", "--format", "json"}));
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["backups"];
}

// Every file under dir whose name starts with prefix (leftover work directories).
std::vector<std::string> entries_starting(const fs::path& dir, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().rfind(prefix, 0) == 0) {
            out.push_back(e.path().string());
        }
    }
    return out;
}

}  // namespace

TEST_CASE("an encrypted backup is created, verified and restored with its key") {
    TestDatabase db;
    Project p;
    p.write_config(encrypted_config(p));
    TestKey key = new_key();
    load_rows(db, 2000);
    std::vector<ToolRun> runs;

    runs.push_back(run_tool(p.args(db, {"-v", "backup", "create"}), with_key(key)));
    INFO(runs.back().all());
    REQUIRE(runs.back().exit_code == 0);
    json listed = list_backups(p);
    REQUIRE(listed.size() == 1);
    std::string id = listed[0]["id"];
    fs::path dir = listed[0]["path"].get<std::string>();
    CHECK(listed[0]["cipher"] == "aes-256-gcm");
    CHECK(listed[0]["key_fingerprint"] == sm::backup::key_fingerprint(key.bytes));

    // The manifest records the cipher and the key's fingerprint, and the
    // checksums of what is stored; every stored file is encrypted.
    sm::backup::Manifest m = sm::backup::read_manifest(dir);
    CHECK(m.cipher == "aes-256-gcm");
    CHECK(m.cipher_segment_bytes == 1 << 20);
    CHECK(m.key_fingerprint == sm::backup::key_fingerprint(key.bytes));
    REQUIRE(m.files.size() >= 2);
    for (const auto& f : m.files) {
        std::string stored = sm::util::read_file(dir / f.name);
        CHECK(stored.substr(0, 8) == "SMBKCRYP");
        CHECK(stored.find("@plaintext.example") == std::string::npos);
        CHECK(sm::core::sha256_hex(stored) == f.sha256);
        CHECK(static_cast<int64_t>(stored.size()) == f.bytes);
    }
    std::string manifest_text = sm::util::read_file(dir / "manifest.json");
    CHECK(manifest_text.find(key.text) == std::string::npos);

    runs.push_back(run_tool(p.args({"-v", "backup", "verify", id, "--full"}), with_key(key)));
    CHECK(runs.back().exit_code == 0);
    CHECK(list_backups(p)[0]["state"] == "verified");

    // Lost rows come back.
    db.query("DELETE FROM customers WHERE id > 10");
    db.disconnect();
    runs.push_back(
        run_tool(p.args(db, {"-v", "restore", "--latest", "--confirm", db.name()}), with_key(key)));
    INFO(runs.back().all());
    REQUIRE(runs.back().exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM customers") == "2000");
    // The safety backup taken before the restore is encrypted too.
    json after = list_backups(p);
    REQUIRE(after.size() == 2);
    CHECK(sm::backup::read_manifest(after[1]["path"].get<std::string>()).encrypted());
    // No decrypted copy is left in the catalog.
    CHECK(entries_starting(p.backups(), ".tmp-").empty());

    for (const auto& run : runs) {
        INFO(run.all());
        CHECK(run.all().find(key.text) == std::string::npos);
    }
}

TEST_CASE("a wrong or missing key stops verify and restore before anything is touched") {
    TestDatabase db;
    Project p;
    p.write_config(encrypted_config(p));
    TestKey key = new_key();
    TestKey other = new_key();
    load_rows(db, 100);
    REQUIRE(run_tool(p.args(db, {"backup", "create"}), with_key(key)).exit_code == 0);
    std::string id = list_backups(p)[0]["id"];
    db.query("DELETE FROM customers");
    db.disconnect();
    auto restore = [&](const std::map<std::string, std::string>& env) {
        return run_tool(p.args(db, {"restore", "--latest", "--confirm", db.name()}), env);
    };
    auto nothing_touched = [&] {
        CHECK(db.scalar("SELECT count(*) FROM customers") == "0");
        CHECK(db.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE '" + db.name() +
                        "_pre_restore_%' OR datname LIKE '" + db.name() + "_restore_%'") == "0");
        db.disconnect();
        json backups = list_backups(p);
        CHECK(backups.size() == 1);                // no safety backup was taken
        CHECK(backups[0]["state"] == "complete");  // a key problem is not the backup's
        CHECK(entries_starting(p.backups(), ".tmp-").empty());
    };

    auto wrong = restore(with_key(other));
    INFO(wrong.all());
    CHECK(wrong.exit_code == 7);
    CHECK_THAT(wrong.err, Catch::Contains("backup " + id +
                                          " is encrypted (aes-256-gcm, key "
                                          "fingerprint " +
                                          sm::backup::key_fingerprint(key.bytes).substr(0, 16)));
    CHECK_THAT(wrong.err, Catch::Contains("[backup] encryption_key is another key"));
    nothing_touched();

    // The variable the config names is not set: every other command still runs.
    auto unset = restore({});
    CHECK(unset.exit_code == 7);
    CHECK_THAT(unset.err, Catch::Contains("references environment variable SM_TEST_BACKUP_KEY, "
                                          "which is not set"));
    nothing_touched();

    auto wrong_verify = run_tool(p.args({"backup", "verify", id}), with_key(other));
    CHECK(wrong_verify.exit_code == 7);
    CHECK_THAT(wrong_verify.err, Catch::Contains("is another key"));
    nothing_touched();

    // No key configured at all.
    p.write_config(p.backup_section());
    auto none = restore({});
    CHECK(none.exit_code == 7);
    CHECK_THAT(none.err, Catch::Contains("and no [backup] encryption_key is set"));
    CHECK_THAT(none.err, Catch::Contains("hint: Set [backup] encryption_key"));
    nothing_touched();

    // A backup cannot be taken unencrypted by mistake when the variable is unset.
    p.write_config(encrypted_config(p));
    auto create = run_tool(p.args(db, {"backup", "create"}));
    CHECK(create.exit_code == 7);
    CHECK_THAT(create.err, Catch::Contains("the backup would not be encrypted"));

    // The right key restores it.
    auto right = restore(with_key(key));
    INFO(right.all());
    CHECK(right.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM customers") == "100");
}

TEST_CASE("an unencrypted backup still restores, with or without a key configured") {
    TestDatabase db;
    Project p;
    p.write_config(p.backup_section());
    load_rows(db, 50);
    REQUIRE(run_tool(p.args(db, {"backup", "create"})).exit_code == 0);
    CHECK_FALSE(
        sm::backup::read_manifest(list_backups(p)[0]["path"].get<std::string>()).encrypted());
    CHECK(list_backups(p)[0]["cipher"].is_null());
    db.query("DELETE FROM customers");
    db.disconnect();
    p.write_config(encrypted_config(p));
    auto r =
        run_tool(p.args(db, {"restore", "--latest", "--confirm", db.name()}), with_key(new_key()));
    INFO(r.all());
    CHECK(r.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM customers") == "50");
}

TEST_CASE("a changed segment is named by verify and the restore refuses the backup") {
    TestDatabase db;
    Project p;
    p.write_config(encrypted_config(p));
    TestKey key = new_key();
    load_rows(db, 100000);  // several MiB uncompressed: a data file of several segments
    REQUIRE(run_tool(p.args(db, {"backup", "create"}), with_key(key)).exit_code == 0);
    json listed = list_backups(p);
    std::string id = listed[0]["id"];
    fs::path dir = listed[0]["path"].get<std::string>();
    sm::backup::Manifest m = sm::backup::read_manifest(dir);
    const sm::backup::BackupFile* biggest = nullptr;
    for (const auto& f : m.files) {
        if (biggest == nullptr || f.bytes > biggest->bytes) {
            biggest = &f;
        }
    }
    REQUIRE(biggest->bytes > 2 * (int64_t{1} << 20));
    // One bit flipped inside segment 1.
    fs::path file = dir / biggest->name;
    std::string bytes = sm::util::read_file(file);
    bytes[64 + (1 << 20) + 16 + 1000] ^= 0x04;
    sm::util::write_file_atomic(file, bytes, fs::perms::owner_read | fs::perms::owner_write);

    // The manifest rewritten to match, as someone able to write the catalog
    // could: only the tags can tell.
    sm::backup::Manifest forged = m;
    for (auto& f : forged.files) {
        if (f.name == biggest->name) {
            f.sha256 = sm::core::sha256_hex(bytes);
        }
    }
    sm::backup::write_manifest(dir, forged);
    db.query("DELETE FROM customers");
    db.disconnect();
    auto r = run_tool(p.args(db, {"restore", "--latest", "--confirm", db.name()}), with_key(key));
    INFO(r.all());
    CHECK(r.exit_code == 7);
    CHECK_THAT(r.err, Catch::Contains("nothing was restored"));
    CHECK_THAT(r.err, Catch::Contains(biggest->name + ": segment 1 failed authentication"));
    CHECK(db.scalar("SELECT count(*) FROM customers") == "0");
    CHECK(entries_starting(p.backups(), ".tmp-").empty());
    CHECK(list_backups(p)[0]["state"] == "failed");

    // With the manifest left alone, verify names the checksum and the segment.
    sm::backup::write_manifest(dir, m);
    auto v = run_tool(p.args({"backup", "verify", id}), with_key(key));
    CHECK(v.exit_code == 7);
    CHECK_THAT(v.err, Catch::Contains(biggest->name + ": wrong checksum"));
    CHECK_THAT(v.err, Catch::Contains(biggest->name + ": segment 1 failed authentication"));
}

}  // namespace backup_encryption_test
