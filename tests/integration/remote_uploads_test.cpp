// Unfinished multipart uploads listed page by page: S3 answers
// ListMultipartUploads in pages (1000 uploads at most), so a catalog with more
// unfinished uploads than one page holds must follow NextKeyMarker /
// NextUploadIdMarker, or backup list misses incomplete backups and prune
// leaves their parts billed forever. The checking proxy here answers in pages
// of two.

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backup/s3_http.hpp"
#include "support/s3_server.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

namespace remote_uploads_test {

using namespace sm::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Begins (and never completes) a multipart upload of key below the prefix.
void begin_upload(const S3Server& s3, const std::string& key) {
    sm::core::S3Settings settings;
    settings.endpoint = "http://127.0.0.1:" + s3.port();
    settings.bucket = k_s3_bucket;
    settings.region = "eu-west-1";
    settings.access_key_id = "S3RVER";
    settings.secret_access_key = k_s3_secret;
    sm::backup::S3Http http(settings);
    sm::backup::S3Request r;
    r.method = "POST";
    r.key = std::string(k_s3_prefix) + "/" + key;
    r.query = "uploads=";
    auto got = http.send(r);
    INFO(got.body << got.error);
    REQUIRE(got.status == 200);
}

}  // namespace

TEST_CASE("remote catalog: unfinished uploads beyond one listing page are listed and aborted") {
    S3Server s3(false, 2);
    TestDatabase db;
    sm::util::TempDir wd("sm-remote-pages");
    std::ofstream(wd.path() / "safe-migrate.toml") << s3.config("keep_incomplete = \"0s\"\n");
    fs::create_directories(wd.path() / "migrations");
    const std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "S3RVER"},
                                                    {"AWS_SECRET_ACCESS_KEY", k_s3_secret}};

    // Five killed backups, each with an upload begun: three pages of two.
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back("2026110" + std::to_string(i + 1) + "T120000Z-pre-deploy");
        begin_upload(s3, ids.back() + "/archive/1.dat");
    }
    begin_upload(s3, ids[2] + "/archive/2.dat");  // two uploads of one backup

    auto listed = run_tool_in(
        wd.path(), {"--database-url", db.url(), "backup", "list", "--format", "json"}, env);
    INFO(listed.all());
    REQUIRE(listed.exit_code == 0);
    json backups = json::parse(listed.out)["backups"];
    std::vector<std::string> seen;
    for (const auto& b : backups) {
        CHECK(b["state"] == "incomplete");
        seen.push_back(b["id"]);
    }
    std::sort(seen.begin(), seen.end());
    CHECK(seen == ids);
    std::string log = s3.requests();
    INFO(log);
    CHECK(log.find("key-marker=") != std::string::npos);  // it asked for the next pages

    auto pruned = run_tool_in(wd.path(), {"--database-url", db.url(), "backup", "prune"}, env);
    INFO(pruned.all());
    CHECK(pruned.exit_code == 0);
    std::string after = s3.requests().substr(log.size());
    size_t aborted = 0;
    for (size_t at = after.find("?uploadId="); at != std::string::npos;
         at = after.find("?uploadId=", at + 1)) {
        ++aborted;
    }
    CHECK(aborted == 6);
    auto again = run_tool_in(
        wd.path(), {"--database-url", db.url(), "backup", "list", "--format", "json"}, env);
    REQUIRE(again.exit_code == 0);
    CHECK(json::parse(again.out)["backups"].empty());
}

}  // namespace remote_uploads_test
