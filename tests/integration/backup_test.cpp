// Backups and restores against the suite's cluster: round trip, integrity
// checks, failures mid-dump, version refusal, protection, retention, secrets.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/identity.hpp"
#include "sandbox/cluster.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace backup_test {

using namespace sm::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void load_sample(const TestDatabase& db) {
    db.query(
        "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);"
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers,"
        " total numeric(10,2), note text);"
        "CREATE INDEX orders_customer_idx ON orders (customer_id);"
        "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;"
        "CREATE TABLE \"Odd Name\" (\"a b\" int);"
        "INSERT INTO customers SELECT g, 'user' || g || '@example.com' FROM generate_series(1, "
        "500) g;"
        "INSERT INTO orders (customer_id, total, note) SELECT 1 + g % 500, g % 250, 'a; b '' c'"
        " FROM generate_series(1, 3000) g;"
        "INSERT INTO \"Odd Name\" VALUES (1), (2), (3);");
}

std::string row_counts(const TestDatabase& db) {
    return db.scalar(
        "SELECT string_agg(t, ',' ORDER BY t) FROM ("
        "SELECT 'customers=' || count(*) AS t FROM customers UNION ALL "
        "SELECT 'orders=' || count(*) || '/' || sum(total) FROM orders UNION ALL "
        "SELECT 'odd=' || count(*) FROM \"Odd Name\") x");
}

std::vector<std::string> with_catalog(const TestDatabase& db, const fs::path& catalog,
                                      std::vector<std::string> args) {
    std::vector<std::string> full = {"--database-url", db.url()};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"--backup-dir", catalog.string()});
    return full;
}

json list_json(const fs::path& catalog) {
    auto r = run_tool({"backup", "list", "--format", "json", "--backup-dir", catalog.string()});
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// pids of running programs called name (argv[0]) whose command line mentions needle.
std::vector<pid_t> find_processes(const std::string& name, const std::string& needle) {
    std::vector<pid_t> pids;
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        auto cmdline = sm::util::read_file_if_exists(e.path() / "cmdline");
        if (!cmdline) {
            continue;
        }
        std::string program = fs::path(cmdline->substr(0, cmdline->find('\0'))).filename();
        if (program == name && cmdline->find(needle) != std::string::npos) {
            pids.push_back(static_cast<pid_t>(std::stoi(pid)));
        }
    }
    return pids;
}

// Waits (up to 10 s) for the pg_dump writing into catalog to start.
std::vector<pid_t> wait_for_pg_dump(const fs::path& catalog) {
    std::vector<pid_t> pids;
    for (int i = 0; i < 100 && pids.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        pids = find_processes("pg_dump", catalog.string());
    }
    return pids;
}

}  // namespace

TEST_CASE("backup then restore --latest brings back the schema and every row") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    MigrationDir dir;
    dir.write("1_customers.up.sql", "CREATE TABLE history_probe (x int);\n");
    REQUIRE(
        run_tool({"--migrations-dir", dir.path().string(), "--database-url", db.url(), "execute"})
            .exit_code == 0);
    load_sample(db);
    std::string schema = db.schema_dump();
    std::string counts = row_counts(db);

    auto made =
        run_tool(with_catalog(db, catalog.path(), {"backup", "create", "--label", "before"}));
    INFO(made.all());
    REQUIRE(made.exit_code == 0);
    json listed = list_json(catalog.path());
    REQUIRE(listed["backups"].size() == 1);
    CHECK(listed["backups"][0]["state"] == "complete");
    CHECK(listed["backups"][0]["migration_head"] == 1);

    // Damage: a dropped table, lost rows, a new table, a changed view.
    db.query(
        "DROP TABLE \"Odd Name\"; DELETE FROM orders WHERE id > 100;"
        "CREATE TABLE intruder (x int); DROP VIEW big_orders;"
        "CREATE VIEW big_orders AS SELECT id FROM orders;");
    REQUIRE(db.schema_dump() != schema);
    db.disconnect();

    // Refused without --confirm: the target holds data. Nothing changes.
    auto refused = run_tool(with_catalog(db, catalog.path(), {"restore", "--latest"}));
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("--confirm " + db.name()) != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('intruder') IS NOT NULL") == "t");
    db.disconnect();

    auto restored =
        run_tool(with_catalog(db, catalog.path(), {"restore", "--latest", "--confirm", db.name()}));
    INFO(restored.all());
    REQUIRE(restored.exit_code == 0);
    CHECK(db.schema_dump() == schema);
    CHECK(row_counts(db) == counts);
    CHECK(db.scalar("SELECT max(version) FROM safe_migrate.history") == "1");
    // The old database is kept under another name, and a safety backup was taken.
    CHECK(db.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE '" + db.name() +
                    "_pre_restore_%'") == "1");
    json after = list_json(catalog.path());
    REQUIRE(after["backups"].size() == 2);
    CHECK(after["backups"][1]["kind"] == "pre-restore");
    CHECK(after["backups"][0]["state"] == "verified");  // verified before restoring
}

TEST_CASE("restore --into makes a new database and leaves the target alone") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    db.query("DELETE FROM orders");
    std::string copy = db.name() + "_copy";
    auto r = run_tool(with_catalog(db, catalog.path(),
                                   {"restore", "--latest", "--into", copy, "--format", "json"}));
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out)["database"] == copy);
    CHECK(db.scalar("SELECT count(*) FROM orders") == "0");
    auto copy_session = sm::db::connect(cluster().url(copy), "sm-test");
    CHECK(copy_session->exec("SELECT count(*) FROM orders").scalar().value_or("") == "3000");
    // An existing database is never restored over by --into.
    copy_session.reset();
    auto again =
        run_tool(with_catalog(db, catalog.path(), {"restore", "--latest", "--into", copy}));
    CHECK(again.exit_code == 8);
    CHECK(again.err.find("already exists") != std::string::npos);
}

TEST_CASE("verify names a truncated file and an altered file and a missing file") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    json listed = list_json(catalog.path());
    fs::path dir = listed["backups"][0]["path"].get<std::string>();
    std::string id = listed["backups"][0]["id"];
    auto verify = [&] {
        return run_tool({"backup", "verify", id, "--backup-dir", catalog.path().string()});
    };
    REQUIRE(verify().exit_code == 0);

    // The biggest data file, cut in half.
    fs::path biggest;
    for (const auto& e : fs::directory_iterator(dir / "archive")) {
        if (e.path().extension() == ".gz" &&
            (biggest.empty() || fs::file_size(e.path()) > fs::file_size(biggest))) {
            biggest = e.path();
        }
    }
    REQUIRE(!biggest.empty());
    std::string original = sm::util::read_file(biggest);
    fs::resize_file(biggest, fs::file_size(biggest) / 2);
    auto truncated = verify();
    CHECK(truncated.exit_code == 7);
    CHECK(truncated.err.find(biggest.filename().string() + ": wrong size") != std::string::npos);

    // The failed verification marked it failed: restore --latest will not use it.
    CHECK(list_json(catalog.path())["backups"][0]["state"] == "failed");
    auto restore = run_tool(
        with_catalog(db, catalog.path(), {"restore", "--latest", "--into", db.name() + "_x"}));
    CHECK(restore.exit_code == 7);
    CHECK(restore.err.find("no complete backup") != std::string::npos);
}

TEST_CASE("verify tells an altered byte from a missing file") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    json listed = list_json(catalog.path());
    fs::path first = listed["backups"][0]["path"].get<std::string>();
    fs::path second = listed["backups"][1]["path"].get<std::string>();

    // Same size, one byte changed.
    fs::path toc = first / "archive" / "toc.dat";
    std::string bytes = sm::util::read_file(toc);
    bytes[bytes.size() / 2] ^= 0x01;
    std::ofstream(toc, std::ios::binary | std::ios::trunc) << bytes;
    auto altered = run_tool(
        {"backup", "verify", listed["backups"][0]["id"], "--backup-dir", catalog.path().string()});
    CHECK(altered.exit_code == 7);
    CHECK(altered.err.find("archive/toc.dat: wrong checksum") != std::string::npos);

    fs::remove(second / "archive" / "toc.dat");
    auto missing = run_tool(
        {"backup", "verify", listed["backups"][1]["id"], "--backup-dir", catalog.path().string()});
    CHECK(missing.exit_code == 7);
    CHECK(missing.err.find("archive/toc.dat: missing") != std::string::npos);

    // An edited manifest is caught by its own checksum.
    TestDatabase other;
    sm::util::TempDir catalog2("sm-backups");
    REQUIRE(run_tool(with_catalog(other, catalog2.path(), {"backup", "create"})).exit_code == 0);
    fs::path dir = list_json(catalog2.path())["backups"][0]["path"].get<std::string>();
    std::string manifest = sm::util::read_file(dir / "manifest.json");
    auto at = manifest.find("\"pinned\": false");
    REQUIRE(at != std::string::npos);
    manifest.replace(at, 15, "\"pinned\": true ");
    std::ofstream(dir / "manifest.json", std::ios::trunc) << manifest;
    auto edited = run_tool(
        {"backup", "verify", dir.filename().string(), "--backup-dir", catalog2.path().string()});
    CHECK(edited.exit_code != 0);
    CHECK(edited.err.find("manifest checksum mismatch") != std::string::npos);
}

TEST_CASE("pg_dump killed mid-run leaves a failed backup and --latest takes the previous one") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create", "--label", "good"}))
                .exit_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later finish time

    // A session holding a table lock makes pg_dump wait, so it can be killed midway.
    auto blocker = db.connect("sm-test-blocker");
    blocker->exec("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
    auto child =
        start_tool(with_catalog(db, catalog.path(), {"backup", "create", "--label", "doomed"}));
    std::vector<pid_t> pids = wait_for_pg_dump(catalog.path());
    REQUIRE(!pids.empty());
    for (pid_t pid : pids) {
        ::kill(pid, SIGKILL);
    }
    auto run = to_run(child->wait());
    blocker->exec("ROLLBACK");
    INFO(run.all());
    CHECK(run.exit_code == 7);
    CHECK(run.err.find("killed by signal 9") != std::string::npos);

    json listed = list_json(catalog.path());
    REQUIRE(listed["backups"].size() == 2);
    CHECK(listed["backups"][1]["state"] == "failed");
    CHECK(listed["backups"][1]["total_bytes"] == 0);
    CHECK(listed["leftovers"].empty());
    std::string good = listed["backups"][0]["id"];
    auto restored = run_tool(
        with_catalog(db, catalog.path(), {"restore", "--latest", "--into", db.name() + "_r"}));
    INFO(restored.all());
    CHECK(restored.exit_code == 0);
    CHECK(restored.out.find("backup   " + good) != std::string::npos);
}

TEST_CASE("a pg_dump lock timeout fails the backup instead of queueing behind DDL") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    MigrationDir project;
    project.write("safe-migrate.toml", "[backup]\nlock_wait_timeout = \"1s\"\n");
    auto blocker = db.connect("sm-test-blocker");
    blocker->exec("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE");
    std::vector<std::string> args = {"--config", (project.path() / "safe-migrate.toml").string()};
    auto rest = with_catalog(db, catalog.path(), {"backup", "create"});
    args.insert(args.end(), rest.begin(), rest.end());
    auto started = std::chrono::steady_clock::now();
    auto run = run_tool(args);
    blocker->exec("ROLLBACK");
    INFO(run.all());
    CHECK(run.exit_code == 7);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
    CHECK(list_json(catalog.path())["backups"][0]["state"] == "failed");
}

TEST_CASE("a pg_dump older than the server is refused with what to install") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    sm::util::TempDir bin("sm-fake-bin");
    fs::path fake = bin.path() / "pg_dump";
    std::ofstream(fake) << "#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.4'\n";
    fs::permissions(fake, fs::perms::owner_all);
    std::string path = bin.path().string() + ":" + std::getenv("PATH");
    auto run = run_tool(with_catalog(db, catalog.path(), {"backup", "create"}), {{"PATH", path}});
    CHECK(run.exit_code == 7);
    CHECK(run.err.find("pg_dump 13.4 cannot dump a PostgreSQL 15 server") != std::string::npos);
    CHECK(run.err.find("postgresql-client-15") != std::string::npos);
    CHECK(list_json(catalog.path())["backups"].empty());
}

TEST_CASE("a protected environment refuses restore without --confirm") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    MigrationDir project;
    project.write("safe-migrate.toml", "[environments.prod]\nprotected = true\ndatabase_url = \"" +
                                           db.url() + "\"\n[backup]\ndir = \"" +
                                           catalog.path().string() + "\"\n");
    std::vector<std::string> base = {"--config", (project.path() / "safe-migrate.toml").string(),
                                     "--env", "prod"};
    auto cmd = [&](std::vector<std::string> more) {
        std::vector<std::string> all = base;
        all.insert(all.end(), more.begin(), more.end());
        return all;
    };
    REQUIRE(run_tool(cmd({"backup", "create"})).exit_code == 0);  // an empty database
    auto refused = run_tool(cmd({"restore", "--latest", "--into", db.name() + "_p"}));
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("environment prod is protected") != std::string::npos);
    auto wrong =
        run_tool(cmd({"restore", "--latest", "--into", db.name() + "_p", "--confirm", "nope"}));
    CHECK(wrong.exit_code == 8);
    auto ok =
        run_tool(cmd({"restore", "--latest", "--into", db.name() + "_p", "--confirm", db.name()}));
    INFO(ok.all());
    CHECK(ok.exit_code == 0);
}

TEST_CASE("restore refuses while other sessions are connected unless --force") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    auto app = db.connect("the-app");
    db.disconnect();
    MigrationDir project;
    project.write("safe-migrate.toml", "[restore]\nsession_wait = \"1s\"\n");
    std::vector<std::string> args = {"--config", (project.path() / "safe-migrate.toml").string()};
    auto rest = with_catalog(db, catalog.path(),
                             {"restore", "--latest", "--confirm", db.name(), "--no-safety-backup"});
    args.insert(args.end(), rest.begin(), rest.end());
    auto refused = run_tool(args);
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("still connected to " + db.name() + " after waiting 1.0s") !=
          std::string::npos);
    CHECK(refused.err.find("application 'the-app'") != std::string::npos);
    auto forced = run_tool(with_catalog(
        db, catalog.path(),
        {"restore", "--latest", "--confirm", db.name(), "--force", "--no-safety-backup"}));
    INFO(forced.all());
    CHECK(forced.exit_code == 0);
    CHECK(forced.out.find("terminated pid") != std::string::npos);
    CHECK_THROWS(app->exec("SELECT 1"));
}

TEST_CASE("restore --in-place restores over the target in one transaction") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    std::string counts = row_counts(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    db.query("DELETE FROM orders WHERE id % 2 = 0; CREATE TABLE extra (x int)");
    db.disconnect();
    auto r = run_tool(with_catalog(db, catalog.path(),
                                   {"restore", "--latest", "--in-place", "--confirm", db.name()}));
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK(row_counts(db) == counts);
    CHECK(r.err.find("table public.extra is not in the backup") != std::string::npos);
}

TEST_CASE("prune keeps the newest and the pinned and the newest verified and drops failed ones") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    MigrationDir project;
    project.write("safe-migrate.toml", "[backup]\nkeep_last = 1\nlock_wait_timeout = \"1s\"\n");
    std::vector<std::string> config = {"--config", (project.path() / "safe-migrate.toml").string()};
    auto cmd = [&](std::vector<std::string> more) {
        std::vector<std::string> all = config;
        auto rest = with_catalog(db, catalog.path(), std::move(more));
        all.insert(all.end(), rest.begin(), rest.end());
        return all;
    };
    load_sample(db);
    for (const char* label : {"b1", "b2", "b3"}) {
        REQUIRE(run_tool(cmd({"backup", "create", "--label", label})).exit_code == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // A failed one (lock timeout), then the newest.
    auto blocker = db.connect("sm-test-blocker");
    blocker->exec("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
    REQUIRE(run_tool(cmd({"backup", "create", "--label", "b4"})).exit_code == 7);
    blocker->exec("ROLLBACK");
    REQUIRE(run_tool(cmd({"backup", "create", "--label", "b5"})).exit_code == 0);

    json listed = list_json(catalog.path());
    REQUIRE(listed["backups"].size() == 5);
    auto id_of = [&](const std::string& label) {
        json now = list_json(catalog.path());  // named: a temporary would dangle in the loop
        for (const auto& b : now["backups"]) {
            if (b["label"] == label) {
                return b["id"].get<std::string>();
            }
        }
        return std::string();
    };
    auto verified =
        run_tool({"backup", "verify", id_of("b1"), "--backup-dir", catalog.path().string()});
    INFO(verified.all());
    REQUIRE(verified.exit_code == 0);
    REQUIRE(run_tool({"backup", "pin", id_of("b2"), "--backup-dir", catalog.path().string()})
                .exit_code == 0);

    auto dry = run_tool(cmd({"backup", "prune", "--dry-run", "--format", "json"}));
    REQUIRE(dry.exit_code == 0);
    CHECK(list_json(catalog.path())["backups"].size() == 5);
    auto pruned = run_tool(cmd({"backup", "prune", "--format", "json"}));
    REQUIRE(pruned.exit_code == 0);
    CHECK(json::parse(pruned.out)["deleted"] == 2);
    std::vector<std::string> left;
    json final_list = list_json(catalog.path());
    for (const auto& b : final_list["backups"]) {
        left.push_back(b["label"]);
    }
    CHECK(left == std::vector<std::string>{"b1", "b2", "b5"});
}

TEST_CASE("no password appears in backup output or manifests or restore output") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    std::string password = sm::sandbox::read_password(cluster());
    std::vector<std::string> base = {"--database-url", db.url_with_password(), "-v"};
    auto cmd = [&](std::vector<std::string> more) {
        std::vector<std::string> all = base;
        all.insert(all.end(), more.begin(), more.end());
        all.insert(all.end(), {"--backup-dir", catalog.path().string()});
        return all;
    };
    std::vector<ToolRun> runs;
    runs.push_back(run_tool(cmd({"backup", "create"})));
    runs.push_back(run_tool(cmd({"backup", "create", "--format", "json"})));
    runs.push_back(run_tool(cmd({"backup", "list", "--format", "json"})));
    runs.push_back(run_tool(cmd({"backup", "verify", "--latest", "--full"})));
    db.disconnect();
    runs.push_back(run_tool(cmd({"restore", "--latest", "--confirm", db.name()})));
    REQUIRE(runs[0].exit_code == 0);
    REQUIRE(runs[4].exit_code == 0);
    for (const auto& run : runs) {
        INFO(run.all());
        CHECK(run.all().find(password) == std::string::npos);
    }
    int manifests = 0;
    for (const auto& e : fs::recursive_directory_iterator(catalog.path())) {
        if (e.path().filename() == "manifest.json") {
            ++manifests;
            CHECK(sm::util::read_file(e.path()).find(password) == std::string::npos);
        }
    }
    CHECK(manifests == 3);  // two backups and the safety backup
}

TEST_CASE("SIGINT during a backup stops pg_dump and records the backup as failed") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    auto blocker = db.connect("sm-test-blocker");
    blocker->exec("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
    auto child = start_tool(with_catalog(db, catalog.path(), {"backup", "create"}));
    std::vector<pid_t> pids = wait_for_pg_dump(catalog.path());
    REQUIRE(!pids.empty());
    child->send_signal(SIGINT);
    auto run = to_run(child->wait());
    blocker->exec("ROLLBACK");
    INFO(run.all());
    CHECK(run.exit_code == 130);
    CHECK(find_processes("pg_dump", catalog.path().string()).empty());
    json listed = list_json(catalog.path());
    REQUIRE(listed["backups"].size() == 1);
    CHECK(listed["backups"][0]["state"] == "failed");
    CHECK(listed["backups"][0]["error"].get<std::string>().find("interrupted") !=
          std::string::npos);
    CHECK(listed["leftovers"].empty());
}

TEST_CASE("a backup whose runner was killed with SIGKILL is a leftover and never a backup") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create", "--label", "good"}))
                .exit_code == 0);
    auto blocker = db.connect("sm-test-blocker");
    blocker->exec("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
    auto child = start_tool(with_catalog(db, catalog.path(), {"backup", "create"}));
    std::vector<pid_t> pids = wait_for_pg_dump(catalog.path());
    REQUIRE(!pids.empty());
    child->send_signal(SIGKILL);
    child->wait();
    for (pid_t pid : find_processes("pg_dump", catalog.path().string())) {
        ::kill(pid, SIGKILL);  // the orphan
    }
    blocker->exec("ROLLBACK");
    json listed = list_json(catalog.path());
    CHECK(listed["backups"].size() == 1);
    CHECK(listed["leftovers"].size() == 1);
    auto text = run_tool({"backup", "list", "--backup-dir", catalog.path().string()});
    CHECK(text.out.find("leftover work directory") != std::string::npos);
    db.disconnect();
    auto restored = run_tool(
        with_catalog(db, catalog.path(), {"restore", "--latest", "--into", db.name() + "_k"}));
    INFO(restored.all());
    CHECK(restored.exit_code == 0);
    CHECK(restored.out.find("-good") != std::string::npos);
}

TEST_CASE("verify --restore-test restores into a scratch database and drops it") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    REQUIRE(run_tool(with_catalog(db, catalog.path(), {"backup", "create"})).exit_code == 0);
    auto r = run_tool(
        with_catalog(db, catalog.path(),
                     {"backup", "verify", "--latest", "--restore-test", "--format", "json"}));
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out)["how"] == "restore");
    // The scratch database is gone (other tests create databases in parallel: count only ours).
    CHECK(db.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'sm\\_verify\\_%'") ==
          "0");
    fs::path dir = list_json(catalog.path())["backups"][0]["path"].get<std::string>();
    json manifest = json::parse(sm::util::read_file(dir / "manifest.json"));
    CHECK(manifest["state"] == "verified");
    CHECK(manifest["verifications"][0]["how"] == "restore");
}

TEST_CASE("a migration waits for a running backup and gives up naming it") {
    TestDatabase db;
    sm::util::TempDir catalog("sm-backups");
    load_sample(db);
    MigrationDir dir;
    dir.write("1_more.up.sql", "CREATE TABLE more (x int);\n");
    auto blocker = db.connect("sm-test-blocker");
    blocker->exec("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
    auto backup = start_tool(with_catalog(db, catalog.path(), {"backup", "create"}));
    REQUIRE(!wait_for_pg_dump(catalog.path()).empty());
    auto run = run_tool({"--migrations-dir", dir.path().string(), "--database-url", db.url(),
                         "execute", "--lock-wait", "1s"});
    INFO(run.all());
    CHECK(run.exit_code == 6);
    CHECK(run.err.find("safe-migrate/lock") != std::string::npos);
    CHECK(db.scalar("SELECT to_regclass('more') IS NULL") == "t");
    blocker->exec("ROLLBACK");
    auto finished = to_run(backup->wait());
    INFO(finished.all());
    CHECK(finished.exit_code == 0);
}

}  // namespace backup_test
