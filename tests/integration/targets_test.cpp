// Which database a command runs against, and the mistakes around it: a
// malformed connection string never shows its password, an undeclared
// environment and conflicting targets stop the run, durations need a unit,
// and rollback on a protected environment asks, backs up, lints and notifies.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sandbox/cluster.hpp"
#include "support/http_receiver.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace targets_test {

using namespace sm::test;
namespace fs = std::filesystem;

namespace {

// The password every malformed string below carries, in pieces a mistyped URL
// could move into another field.
std::string pw() {
    return "Cx9Sekr3t";
}
std::string pw2() {
    return "Pw7Tail";
}

std::vector<std::string> in(const MigrationDir& dir, std::vector<std::string> args) {
    std::vector<std::string> all = {"--config", (dir.path() / "safe-migrate.toml").string(),
                                    "--migrations-dir", dir.path().string()};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

void no_password(const std::string& text) {
    INFO(text);
    CHECK(text.find(pw()) == std::string::npos);
    CHECK(text.find(pw2()) == std::string::npos);
}

}  // namespace

TEST_CASE("a malformed connection string names the wrong field and never shows the password") {
    TestDatabase db;
    HttpReceiver receiver;
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("safe-migrate.toml",
              "[[notify.webhooks]]\nkind = \"generic\"\nurl = \"" + receiver.url("/hook") + "\"\n");
    // The events table exists and holds a real run.
    REQUIRE(run_tool(in(dir, {"execute"}), {{"DATABASE_URL", db.url()}}).exit_code == 0);
    size_t notified = receiver.count();

    std::string host = "127.0.0.1:" + std::to_string(cluster().port);
    struct Case {
        std::string conninfo;
        std::string field;  // what the error names
    };
    std::vector<Case> cases = {
        {"postgresql://u:" + pw() + "%zz" + pw2() + "@" + host + "/db", "the password"},
        {"postgresql://u:" + pw() + "/" + pw2() + "@" + host + "/db", "the database name"},
        {"postgresql://u:" + pw() + "@" + pw2() + "@" + host + "/db", "the host holds '@'"},
        {"postgresql://u:" + pw() + "@127.0.0.1:" + pw2() + "/db", "the port"},
        {"postgresql://u@" + host + "/db?password=" + pw() + "%g1" + pw2(),
         "the value of password"},
        {"postgresql://u@" + host + "/db?password=" + pw() + "&" + pw2() + "=1",
         "query parameter 2"},
        {"host=127.0.0.1 password='" + pw() + " " + pw2(), "the quoted value of password"},
        {"host=127.0.0.1 password=" + pw() + " " + pw2() + " dbname=x", "setting 3"},
        {"host=127.0.0.1 passwrd=" + pw() + pw2(), "setting 2 is not a libpq"},
        {"host=127.0.0.1 port=" + pw() + pw2() + " password=" + pw(), "the port"},
    };
    for (const auto& c : cases) {
        INFO(c.conninfo);
        std::vector<ToolRun> runs = {
            run_tool(in(dir, {"status"}), {{"DATABASE_URL", c.conninfo}}),
            run_tool(in(dir, {"--database-url", c.conninfo, "execute"})),
            run_tool(in(dir, {"--database-url", c.conninfo, "execute", "--format", "json"})),
            run_tool(in(dir, {"--database-url", c.conninfo, "-v", "rollback"})),
        };
        for (const auto& run : runs) {
            CHECK(run.exit_code == 3);
            CHECK(run.err.find("safe-migrate: error: invalid connection string in ") !=
                  std::string::npos);
            CHECK(run.err.find(c.field) != std::string::npos);
            no_password(run.all());
        }
        auto doc = nlohmann::json::parse(runs[2].out);
        CHECK(doc["error"]["exit_code"] == 3);
        no_password(doc.dump());
    }
    // From the config file too.
    dir.write("safe-migrate.toml", "[database]\nurl = \"" + cases[0].conninfo + "\"\n");
    auto config = run_tool(in(dir, {"status"}));
    CHECK(config.exit_code == 3);
    CHECK(config.err.find("invalid connection string in [database] url: the password holds") !=
          std::string::npos);
    no_password(config.all());

    // Nothing reached the events table or the webhook.
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events e WHERE row(e.*)::text LIKE '%" +
                    pw() + "%' OR row(e.*)::text LIKE '%" + pw2() + "%'") == "0");
    for (const auto& r : receiver.requests()) {
        no_password(r.body);
    }
    CHECK(receiver.count() == notified);
}

TEST_CASE("an undeclared --env is refused, naming the declared ones") {
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    TestDatabase db;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    // No config at all: no environment exists.
    auto none = run_tool(
        {"--migrations-dir", dir.path().string(), "--env", "production", "execute", "--dry-run"},
        env);
    CHECK(none.exit_code == 3);
    CHECK(none.err.find("safe-migrate: error: environment 'production' is not declared: there "
                        "is no safe-migrate.toml in ") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('safe_migrate.events') IS NULL") == "t");

    dir.write("safe-migrate.toml",
              "[environments.staging]\n[environments.prod]\nprotected = true\n");
    auto wrong = run_tool(in(dir, {"--env", "production", "execute", "--dry-run"}), env);
    CHECK(wrong.exit_code == 3);
    CHECK(wrong.err.find("environment 'production' is not declared") != std::string::npos);
    CHECK(wrong.err.find("hint: Declared environments: prod, staging.") != std::string::npos);
}

TEST_CASE("an ambient DATABASE_URL naming another database than the environment is refused") {
    TestDatabase prod;
    TestDatabase test_db;
    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("safe-migrate.toml",
              "[environments.production]\ndatabase_url = \"" + prod.url_with_password() + "\"\n");
    std::string password = sm::sandbox::read_password(cluster());

    auto run = run_tool(in(dir, {"--env", "production", "execute"}),
                        {{"DATABASE_URL", test_db.url_with_password()}});
    INFO(run.all());
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("safe-migrate: error: conflicting targets: [environments.production] "
                       "database_url names postgresql://") != std::string::npos);
    CHECK(run.err.find("/" + prod.name() + " but DATABASE_URL (postgresql://") !=
          std::string::npos);
    CHECK(run.err.find("/" + test_db.name() + ") names another database") != std::string::npos);
    CHECK(run.all().find(password) == std::string::npos);
    CHECK(prod.scalar("SELECT to_regclass('a') IS NULL") == "t");
    CHECK(test_db.scalar("SELECT to_regclass('a') IS NULL") == "t");

    // [database] url naming another database conflicts the same way.
    dir.write("safe-migrate.toml", "[database]\nurl = \"" + test_db.url() +
                                       "\"\n[environments.production]\ndatabase_url = \"" +
                                       prod.url() + "\"\n");
    auto config = run_tool(in(dir, {"--env", "production", "execute"}));
    CHECK(config.exit_code == 3);
    CHECK(config.err.find("but [database] url (postgresql://") != std::string::npos);

    // The same database named twice is no conflict.
    auto same = run_tool(in(dir, {"--env", "production", "execute"}),
                         {{"DATABASE_URL", prod.url_with_password()}});
    CHECK(same.exit_code == 3);  // [database] url still names test_db
    dir.write("safe-migrate.toml",
              "[environments.production]\ndatabase_url = \"" + prod.url() + "\"\n");
    auto agreed = run_tool(in(dir, {"--env", "production", "execute"}),
                           {{"DATABASE_URL", prod.url_with_password()}});
    INFO(agreed.all());
    CHECK(agreed.exit_code == 0);
    CHECK(prod.scalar("SELECT to_regclass('a') IS NOT NULL") == "t");

    // An explicit --database-url wins, and says what it overrides.
    auto flag = run_tool(
        in(dir, {"--env", "production", "--database-url", test_db.url_with_password(), "execute"}));
    INFO(flag.all());
    CHECK(flag.exit_code == 0);
    CHECK(flag.err.find("using --database-url postgresql://") != std::string::npos);
    CHECK(flag.err.find(" instead of [environments.production] database_url (postgresql://") !=
          std::string::npos);
    CHECK(flag.all().find(password) == std::string::npos);
    CHECK(test_db.scalar("SELECT to_regclass('a') IS NOT NULL") == "t");
}

TEST_CASE("a duration needs a unit: exit 2 for a flag, 3 in the config or a directive") {
    TestDatabase db;
    MigrationDir dir;
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    auto with_dir = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return args;
    };
    for (auto flag : {"--lock-timeout", "--max-duration", "--lock-wait"}) {
        auto bare = run_tool(with_dir({"execute", flag, "90"}), env);
        CHECK(bare.exit_code == 2);
        CHECK(bare.err.find(std::string("safe-migrate: error: ") + flag +
                            ": '90' has no unit (write 90ms, 90s, 90min, 90h or 90d)") !=
              std::string::npos);
    }
    auto sec = run_tool(with_dir({"execute", "--lock-timeout", "3 sec"}), env);
    CHECK(sec.exit_code == 2);
    CHECK(sec.err.find("'3 sec' is not a duration") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('a') IS NULL") == "t");

    dir.write("safe-migrate.toml", "[execute]\nlock_timeout = \"90\"\n");
    auto config = run_tool(in(dir, {"execute"}), env);
    CHECK(config.exit_code == 3);
    CHECK(config.err.find("safe-migrate.toml:2: 'execute.lock_timeout': '90' has no unit") !=
          std::string::npos);
    fs::remove(dir.path() / "safe-migrate.toml");

    dir.write("2_b.up.sql", "-- safe-migrate: lock-timeout=90\nCREATE TABLE b (x int);\n");
    auto directive = run_tool(with_dir({"execute"}), env);
    CHECK(directive.exit_code == 3);
    CHECK(directive.err.find("2_b.up.sql:1: directive lock-timeout: '90' has no unit") !=
          std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('a') IS NULL") == "t");
}

TEST_CASE("rollback on a protected environment needs --confirm, backs up, lints and notifies") {
    TestDatabase db;
    HttpReceiver receiver;
    MigrationDir dir;
    sm::util::TempDir catalog("sm-rollback-catalog");
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    dir.write("1_a.down.sql", "DROP TABLE a;\n");
    dir.write("safe-migrate.toml",
              "[backup]\ndir = \"" + catalog.path().string() +
                  "\"\n[[notify.webhooks]]\nkind = \"generic\"\nurl = \"" + receiver.url("/hook") +
                  "\"\n[environments.prod]\nprotected = true\ndatabase_url = \"" + db.url() +
                  "\"\n");
    REQUIRE(run_tool(in(dir, {"--env", "prod", "execute", "--skip-backup", "--reason", "test"}))
                .exit_code == 0);
    size_t notified = receiver.count();

    auto unconfirmed = run_tool(in(dir, {"--env", "prod", "rollback"}));
    CHECK(unconfirmed.exit_code == 8);
    CHECK(unconfirmed.err.find("safe-migrate: error: rollback refused: environment prod is "
                               "protected\nhint: Nothing was changed. Re-run with --confirm " +
                               db.name() + " to roll back") != std::string::npos);
    auto wrong = run_tool(in(dir, {"--env", "prod", "rollback", "--confirm", "other"}));
    CHECK(wrong.exit_code == 8);
    CHECK(wrong.err.find("and --confirm names 'other', not '" + db.name() + "'") !=
          std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('a') IS NOT NULL") == "t");
    CHECK(receiver.count() == notified);
    CHECK(fs::is_empty(catalog.path()));

    auto run = run_tool(in(dir, {"--env", "prod", "rollback", "--confirm", db.name()}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    // The down file's destructive finding is shown, and did not block.
    CHECK(run.out.find("error[ban-drop-table] " + (dir.path() / "1_a.down.sql").string() +
                       ":1: ") != std::string::npos);
    CHECK(run.out.find("pre-change backup ") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('a') IS NULL") == "t");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'backup.completed'") ==
          "1");
    auto requests = receiver.requests();
    REQUIRE(requests.size() > notified);
    auto last = nlohmann::json::parse(requests.back().body);
    CHECK(last["type"] == "deploy.rolled_back");
    CHECK(last["data"]["backup"]["verified"] == true);
}

}  // namespace targets_test
