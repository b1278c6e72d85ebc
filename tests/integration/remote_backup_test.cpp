// The backup catalog in object storage: s3rver (tests/s3, pinned by its
// lockfile) behind tests/s3/checking_proxy.py, which recomputes every request's
// SigV4 signature with botocore, checks Content-MD5 and part sizes, answers
// the multipart listing and abort s3rver lacks, and injects 503/SlowDown.
// A missing npm, s3rver or botocore fails these tests; nothing is skipped.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/s3_server.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace remote_backup_test {

using namespace sm::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* k_secret = k_s3_secret;

// A working directory holding only safe-migrate.toml.
struct WorkDir {
    sm::util::TempDir dir{"sm-remote-wd"};
    explicit WorkDir(const std::string& toml) {
        std::ofstream(dir.path() / "safe-migrate.toml") << toml;
        fs::create_directories(dir.path() / "migrations");
    }
    // Every file in it but the config (nothing may be staged here).
    std::vector<std::string> stray_files() const {
        std::vector<std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
            if (e.is_regular_file() && e.path().filename() != "safe-migrate.toml") {
                out.push_back(e.path().string());
            }
        }
        return out;
    }
};

std::map<std::string, std::string> credentials(const std::string& secret = k_secret) {
    return {{"AWS_ACCESS_KEY_ID", "S3RVER"}, {"AWS_SECRET_ACCESS_KEY", secret}};
}

ToolRun tool(const WorkDir& wd, const TestDatabase& db, std::vector<std::string> args,
             const std::map<std::string, std::string>& env = credentials()) {
    args.insert(args.begin(), {"--database-url", db.url()});
    return run_tool_in(wd.dir.path(), args, env);
}

json list_json(const WorkDir& wd, const TestDatabase& db) {
    auto r = tool(wd, db, {"backup", "list", "--format", "json"});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

void load_rows(const TestDatabase& db, int rows) {
    db.query(
        "CREATE TABLE items (id bigint PRIMARY KEY, a text, b text, c text);"
        "INSERT INTO items SELECT g, md5(g::text), md5((g * 7)::text), md5((g * 13)::text) "
        "FROM generate_series(1, " +
        std::to_string(rows) +
        ") g;"
        "CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small SELECT generate_series(1, "
        "10);");
}

std::string create_backup(const WorkDir& wd, const TestDatabase& db) {
    auto r = tool(wd, db, {"backup", "create", "--format", "json"});
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["backup"]["id"];
}

// The archive's data files of backup id (names under <id>/), largest first.
std::vector<std::string> data_files(const S3Server& s3, const std::string& id) {
    std::vector<std::pair<uintmax_t, std::string>> sized;
    for (const auto& k : s3.keys()) {
        if (k.rfind(id + "/archive/", 0) == 0 && k.find(".dat") != std::string::npos) {
            sized.emplace_back(fs::file_size(s3.object_file(k)), k);
        }
    }
    std::sort(sized.rbegin(), sized.rend());
    std::vector<std::string> out;
    out.reserve(sized.size());
    for (const auto& [size, key] : sized) {
        out.push_back(key);
    }
    return out;
}

// The sizes of the multipart parts the proxy received for each object, in
// part order, from its "part N of /BUCKET/KEY: SIZE bytes" lines.
std::map<std::string, std::map<int, int64_t>> parts_seen(const S3Server& s3) {
    std::map<std::string, std::map<int, int64_t>> out;
    std::istringstream lines(s3.requests());
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("part ", 0) != 0) {
            continue;
        }
        size_t of = line.find(" of ");
        size_t colon = line.rfind(": ");
        int number = std::stoi(line.substr(5, of - 5));
        out[line.substr(of + 4, colon - of - 4)][number] = std::stoll(line.substr(colon + 2));
    }
    return out;
}

}  // namespace

TEST_CASE("remote catalog: create, list, verify, then restore --latest from another directory") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 400000);  // an items file of over 16 MiB: a multipart upload
    WorkDir first(s3.config());
    std::string id = create_backup(first, db);
    CHECK(first.stray_files().empty());

    // Every file went up, in parts for the large one, each part's signature
    // and Content-MD5 checked by the proxy; the manifest last.
    std::string log = s3.requests();
    INFO(log);
    CHECK(log.find("?uploads= 200") != std::string::npos);
    CHECK(log.find("partNumber=2&uploadId=") != std::string::npos);
    // Real part sizes: 16 MiB each but the last (the proxy refuses a
    // completion with a part but the last under 5 MiB).
    auto parts = parts_seen(s3);
    REQUIRE(parts.size() == 1);
    const auto& sizes = parts.begin()->second;
    CHECK(parts.begin()->first.find("/bk/team/app/" + id + "/archive/") == 0);
    REQUIRE(sizes.size() >= 2);
    for (const auto& [number, size] : sizes) {
        if (number < static_cast<int>(sizes.size())) {
            CHECK(size == 16L * 1024 * 1024);
        } else {
            CHECK(size > 0);
            CHECK(size <= 16L * 1024 * 1024);
        }
    }
    CHECK(log.find("POST 127.0.0.1:" + s3.port() + " " + parts.begin()->first + "?uploadId=") !=
          std::string::npos);
    CHECK(log.find(" 403") == std::string::npos);
    CHECK(log.rfind("PUT") ==
          log.find("PUT 127.0.0.1:" + s3.port() + " /bk/team/app/" + id + "/manifest.json"));
    json listed = list_json(first, db);
    CHECK(listed["catalog"] == "s3://bk/team/app");
    REQUIRE(listed["backups"].size() == 1);
    CHECK(listed["backups"][0]["id"] == id);
    CHECK(listed["backups"][0]["state"] == "complete");

    auto verified = tool(first, db, {"backup", "verify", "--latest"});
    INFO(verified.all());
    CHECK(verified.exit_code == 0);
    CHECK(list_json(first, db)["backups"][0]["state"] == "verified");  // saved remotely

    // A DBA elsewhere: another directory, only the config, no local files.
    std::string before = db.scalar("SELECT count(*) || '/' || sum(length(a)) FROM items");
    db.query("DELETE FROM items WHERE id % 2 = 0; DROP TABLE small;");
    db.disconnect();
    WorkDir elsewhere(s3.config());
    auto restored = tool(elsewhere, db, {"restore", "--latest", "--confirm", db.name()});
    INFO(restored.all());
    REQUIRE(restored.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) || '/' || sum(length(a)) FROM items") == before);
    CHECK(db.scalar("SELECT count(*) FROM small") == "10");
    CHECK(elsewhere.stray_files().empty());
    // The safety backup taken before the restore went to the same catalog.
    json after = list_json(elsewhere, db);
    REQUIRE(after["backups"].size() == 2);
    CHECK(after["backups"][1]["kind"] == "pre-restore");
}

TEST_CASE("remote catalog: verify names a truncated and a bit-flipped object") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 20000);
    db.query("CREATE TABLE more_items AS SELECT * FROM items");
    WorkDir wd(s3.config());
    std::string id = create_backup(wd, db);
    std::vector<std::string> files = data_files(s3, id);
    REQUIRE(files.size() >= 2);
    fs::resize_file(s3.object_file(files[0]), fs::file_size(s3.object_file(files[0])) / 2);
    {
        std::fstream f(s3.object_file(files[1]), std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(100);
        char c = 0;
        f.get(c);
        f.seekp(100);
        f.put(static_cast<char>(c ^ 0x01));
    }
    auto r = tool(wd, db, {"backup", "verify", id});
    INFO(r.all());
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("s3://bk/team/app/" + files[0] + ": wrong size") != std::string::npos);
    CHECK(r.err.find("s3://bk/team/app/" + files[1] + ": wrong checksum") != std::string::npos);
    // Marked failed in the remote manifest: never restored.
    CHECK(list_json(wd, db)["backups"][0]["state"] == "failed");
    auto restore = tool(wd, db, {"restore", "--latest", "--into", db.name() + "_x"});
    CHECK(restore.exit_code == 7);
    CHECK(restore.err.find("no complete backup") != std::string::npos);
}

TEST_CASE(
    "remote catalog: an upload killed midway is incomplete, never chosen, and pruned once old") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 20000);
    WorkDir wd(s3.config());
    std::string good = create_backup(wd, db);

    // The next backup's uploads stall after two requests; it is killed there.
    std::string before = s3.requests();
    s3.inject("503", 100000, 2);
    auto child = start_tool({"--config", (wd.dir.path() / "safe-migrate.toml").string(),
                             "--database-url", db.url(), "backup", "create"},
                            credentials());
    wait_for_text([&] { return s3.requests().substr(before.size()); }, " 503");
    child->send_signal(SIGKILL);
    child->wait();
    s3.inject("503", 0);

    json listed = list_json(wd, db);
    INFO(listed.dump(2));
    REQUIRE(listed["backups"].size() == 2);
    CHECK(listed["backups"][1]["state"] == "incomplete");
    std::string partial = listed["backups"][1]["id"];
    auto text = tool(wd, db, {"backup", "list"});
    CHECK(text.out.find(partial + "  incomplete") != std::string::npos);

    // --latest passes it by for the complete one.
    db.disconnect();
    auto restored =
        tool(wd, db, {"restore", "--latest", "--into", db.name() + "_r", "--format", "json"});
    INFO(restored.all());
    REQUIRE(restored.exit_code == 0);
    CHECK(json::parse(restored.out)["backup"] == good);

    // prune leaves a young one alone (its upload may still be running elsewhere)...
    auto kept = tool(wd, db, {"backup", "prune"});
    INFO(kept.all());
    CHECK(kept.exit_code == 0);
    CHECK(kept.out.find("keep   " + partial + "  (incomplete: no manifest, started ") !=
          std::string::npos);
    CHECK(kept.out.find("in case its upload is still running ([backup] keep_incomplete)") !=
          std::string::npos);
    CHECK(list_json(wd, db)["backups"].size() == 2);

    // ...and once it is older than keep_incomplete, removes it (objects and
    // unfinished uploads), and keeps the good one.
    WorkDir later(s3.config("keep_incomplete = \"0s\"\n"));
    auto pruned = tool(later, db, {"backup", "prune"});
    INFO(pruned.all());
    CHECK(pruned.exit_code == 0);
    CHECK(pruned.out.find("delete " + partial + "  (incomplete: no manifest)") !=
          std::string::npos);
    for (const auto& k : s3.keys()) {
        CHECK(k.rfind(good + "/", 0) == 0);
    }
    CHECK(list_json(wd, db)["backups"].size() == 1);
}

TEST_CASE("remote catalog: a multipart upload killed midway is aborted by prune") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 400000);  // an items file of over 16 MiB: a multipart upload
    // keep_incomplete = "0s": prune may remove an incomplete backup at once.
    WorkDir wd(s3.config("keep_incomplete = \"0s\"\n"));

    // The first part goes up; every later part fails (503) and is retried
    // until the run is killed, its upload begun and never completed.
    s3.inject("503", 100000, 1, "partNumber=");
    auto child = start_tool({"--config", (wd.dir.path() / "safe-migrate.toml").string(),
                             "--database-url", db.url(), "backup", "create"},
                            credentials());
    wait_for_text([&] { return s3.requests(); }, " 503");
    child->send_signal(SIGKILL);
    child->wait();
    s3.inject("503", 0);
    std::string log = s3.requests();
    INFO(log);
    // "POST 127.0.0.1:PORT /bk/team/app/ID/archive/N.dat?uploads= 200": the upload begun.
    size_t begun = log.find("?uploads= 200");
    REQUIRE(begun != std::string::npos);
    size_t path_at = log.rfind(' ', begun) + 1;
    const std::string upload_path = log.substr(path_at, begun - path_at);

    json listed = list_json(wd, db);
    REQUIRE(listed["backups"].size() == 1);
    CHECK(listed["backups"][0]["state"] == "incomplete");
    std::string partial = listed["backups"][0]["id"];
    CHECK(upload_path.find("/bk/team/app/" + partial + "/archive/") == 0);

    // prune lists the backup's unfinished uploads and aborts each.
    auto pruned = tool(wd, db, {"backup", "prune"});
    INFO(pruned.all());
    CHECK(pruned.exit_code == 0);
    CHECK(pruned.out.find("delete " + partial + "  (incomplete: no manifest)") !=
          std::string::npos);
    std::string after = s3.requests().substr(log.size());
    INFO(after);
    CHECK(after.find("GET 127.0.0.1:" + s3.port() + " /bk/?prefix=team%2Fapp%2F" + partial +
                     "%2F&uploads= 200") != std::string::npos);
    CHECK(after.find("DELETE 127.0.0.1:" + s3.port() + " " + upload_path + "?uploadId=") !=
          std::string::npos);
    CHECK(after.find("?uploadId=") == after.rfind("?uploadId="));  // that one upload
    CHECK(s3.keys().empty());
    CHECK(list_json(wd, db)["backups"].empty());
}

TEST_CASE("remote catalog: a wrong secret is refused, and no secret is ever shown or stored") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 1000);
    WorkDir wd(s3.config());
    const std::string wrong = "wrong-secret-5f2a9c";
    auto refused = tool(wd, db, {"backup", "create"}, credentials(wrong));
    INFO(refused.all());
    CHECK(refused.exit_code == 7);
    CHECK(refused.err.find("SignatureDoesNotMatch") != std::string::npos);
    CHECK(refused.all().find(wrong) == std::string::npos);
    auto listed = tool(wd, db, {"backup", "list"}, credentials(wrong));
    CHECK(listed.exit_code == 7);
    CHECK(s3.keys().empty());

    // With the right secret and a session token, in debug logging: neither
    // appears in the output, the manifests, or anything stored.
    auto env = credentials();
    env["AWS_SESSION_TOKEN"] = "token-8d1e77";
    auto made = tool(wd, db, {"--verbose", "backup", "create", "--format", "json"}, env);
    INFO(made.all());
    REQUIRE(made.exit_code == 0);
    auto verified = tool(wd, db, {"--verbose", "backup", "verify", "--latest"}, env);
    REQUIRE(verified.exit_code == 0);
    for (const auto& run : {made, verified}) {
        CHECK(run.all().find("token-8d1e77") == std::string::npos);
        CHECK(run.all().find("Signature=") == std::string::npos);
        CHECK(run.all().find("AWS4-HMAC") == std::string::npos);
    }
    for (const auto& k : s3.keys()) {
        std::string stored = sm::util::read_file(s3.object_file(k));
        CHECK(stored.find("token-8d1e77") == std::string::npos);
        CHECK(stored.find("Signature=") == std::string::npos);
    }
}

TEST_CASE("remote catalog: requests are retried on 503 and SlowDown") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 1000);
    WorkDir wd(s3.config());
    s3.inject("503", 2);
    std::string id = create_backup(wd, db);
    s3.inject("slowdown", 2);
    json listed = list_json(wd, db);
    CHECK(listed["backups"][0]["id"] == id);
    std::string log = s3.requests();
    INFO(log);
    size_t unavailable = 0;
    for (size_t at = log.find(" 503\n"); at != std::string::npos; at = log.find(" 503\n", at + 1)) {
        ++unavailable;
    }
    CHECK(unavailable == 4);
}

TEST_CASE("remote catalog: virtual-host addressing puts the bucket in the host name") {
    S3Server s3;
    TestDatabase db;
    load_rows(db, 1000);
    WorkDir wd(s3.config("addressing = \"virtual\"\n"));
    std::string id = create_backup(wd, db);
    std::string log = s3.requests();
    INFO(log);
    CHECK(log.find("PUT bk.127.0.0.1:" + s3.port() + " /team/app/" + id + "/manifest.json 200") !=
          std::string::npos);
    CHECK(list_json(wd, db)["backups"][0]["id"] == id);
}

TEST_CASE("remote catalog: a self-signed https endpoint fails TLS verification") {
    S3Server s3(true);
    TestDatabase db;
    WorkDir wd(s3.config("", true));
    auto r = tool(wd, db, {"backup", "list"});
    INFO(r.all());
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("certificate") != std::string::npos);
    CHECK(r.err.find("TLS certificates are always verified") != std::string::npos);
    CHECK(s3.requests().empty());
}

TEST_CASE("remote catalog: configuration errors name the key") {
    TestDatabase db;
    WorkDir plain(
        "[backup]\nstorage = \"s3\"\nendpoint = \"http://10.1.2.3:9000\"\n"
        "bucket = \"b\"\n");
    auto r = tool(plain, db, {"backup", "list"});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("[backup] endpoint uses plain http:// to 10.1.2.3") != std::string::npos);
    WorkDir no_bucket("[backup]\nstorage = \"s3\"\nendpoint = \"https://s3.example.com\"\n");
    r = tool(no_bucket, db, {"backup", "list"});
    CHECK(r.err.find("[backup] bucket is required") != std::string::npos);
    WorkDir bad("[backup]\nstorage = \"gcs\"\n");
    r = tool(bad, db, {"backup", "list"});
    CHECK(r.err.find("'backup.storage' must be \"local\" or \"s3\"") != std::string::npos);
}

}  // namespace remote_backup_test
