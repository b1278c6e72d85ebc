// validate and schema dump: drift between the migrations and a live database,
// found by building the expected schema on a throwaway cluster (or reading a
// snapshot) and comparing it with the target.
#include <signal.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace validate_test {

using namespace sm::test;

namespace {

struct Project {
    TestDatabase db;
    MigrationDir dir;
    Project() { dir.copy_example(); }
    ToolRun run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, {{"DATABASE_URL", db.url()}});
    }
    nlohmann::json validate_json(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"validate", "--format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run(args);
        INFO(r.all());
        REQUIRE((r.exit_code == 0 || r.exit_code == 11));
        auto out = nlohmann::json::parse(r.out);
        CHECK(out["exit_code"] == r.exit_code);
        CHECK(out["drift"] == (r.exit_code == 11));
        return out;
    }
};

// "kind: message" for every schema difference.
std::vector<std::string> schema_lines(const nlohmann::json& report) {
    std::vector<std::string> out;
    for (const auto& d : report["schema"]) {
        out.push_back(d["kind"].get<std::string>() + ": " + d["message"].get<std::string>());
    }
    return out;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A private TMPDIR for a child: where its throwaway cluster goes. Traversable
// by the postgres account the sandbox server runs as when we are root.
class PrivateTmp {
  public:
    PrivateTmp() {
        std::string pattern = "/tmp/sm-validate-signal-XXXXXX";
        std::vector<char> name(pattern.begin(), pattern.end());
        name.push_back('\0');
        REQUIRE(::mkdtemp(name.data()) != nullptr);
        m_path = name.data();
        std::filesystem::permissions(m_path, std::filesystem::perms(0755));
    }
    ~PrivateTmp() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    PrivateTmp(const PrivateTmp&) = delete;
    PrivateTmp& operator=(const PrivateTmp&) = delete;
    const std::filesystem::path& path() const { return m_path; }

    // The entries of the directory whose names start with prefix.
    std::vector<std::filesystem::path> entries(const std::string& prefix) const {
        std::vector<std::filesystem::path> out;
        for (const auto& e : std::filesystem::directory_iterator(m_path)) {
            if (e.path().filename().string().rfind(prefix, 0) == 0) {
                out.push_back(e.path());
            }
        }
        return out;
    }

  private:
    std::filesystem::path m_path;
};

// Processes whose command line names a path under dir (a postmaster started
// with -D dir/...).
int processes_under(const std::filesystem::path& dir) {
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::string cmdline = read_text(e.path() / "cmdline");
        if (cmdline.find(dir.string() + "/") != std::string::npos) {
            ++count;
        }
    }
    return count;
}

// Waits for pred, polling; false when it never held within limit.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace

TEST_CASE("validate reports no drift on a database the example migrations built") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);

    auto text = p.run({"validate"});
    INFO(text.all());
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("the 12 applied migrations (head 20260102090000)") != std::string::npos);
    CHECK(text.out.find("history: files and history agree") != std::string::npos);
    CHECK(text.out.find("schema:  no differences") != std::string::npos);
    CHECK(text.out.find("verdict: no drift") != std::string::npos);

    auto json = p.validate_json();
    CHECK(json["drift"] == false);
    CHECK(json["history"].empty());
    CHECK(json["schema"].empty());
    CHECK(json["expected"]["source"] == "sandbox");
    CHECK(json["expected"]["objects"].get<int>() > 50);
}

TEST_CASE("validate compares only what was applied, and never creates the history schema") {
    Project p;
    REQUIRE(p.run({"execute", "--target", "20260101090500"}).exit_code == 0);
    auto json = p.validate_json();
    CHECK(json["drift"] == false);
    CHECK(json["expected"]["migrations"] == 6);

    TestDatabase empty;
    auto r = run_tool({"--migrations-dir", p.dir.path().string(), "validate"},
                      {{"DATABASE_URL", empty.url()}});
    INFO(r.all());
    CHECK(r.exit_code == 0);
    CHECK(empty.scalar("SELECT to_regnamespace('safe_migrate') IS NULL") == "t");
}

TEST_CASE("validate finds each kind of manual change to the live schema") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    p.db.query("ALTER TABLE public.users ADD COLUMN nickname text");
    p.db.query("DROP INDEX public.order_items_product_id_idx");
    p.db.query(
        "UPDATE pg_index SET indisvalid = false "
        "WHERE indexrelid = 'public.orders_user_id_idx'::regclass");
    p.db.query("ALTER TABLE public.orders ALTER COLUMN status SET DEFAULT 'paid'");
    p.db.query("CREATE TABLE public.scratch (id int PRIMARY KEY, note text)");
    p.db.query("CREATE INDEX scratch_note_idx ON public.scratch (note)");
    // A unique index built concurrently on duplicate data fails and stays INVALID.
    p.db.query("INSERT INTO public.users (email) VALUES ('Ann@example.com'), ('ann@example.com')");
    CHECK_THROWS(p.db.query(
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_lower_idx ON public.users (lower(email))"));

    auto json = p.validate_json();
    CHECK(json["drift"] == true);
    CHECK(json["history"].empty());
    // The two lines longer than a source line, each one string.
    const std::string changed_default =
        "changed: column public.orders.status: default is 'paid'::text in the database, "
        "'pending'::text in the migrations";
    const std::string extra_invalid_index =
        "extra: index public.users_email_lower_idx exists in the database but in no "
        "migration (INVALID)";
    CHECK(schema_lines(json) ==
          std::vector<std::string>{
              changed_default,
              "extra: column public.users.nickname exists in the database but in no migration",
              "missing: index public.order_items_product_id_idx is missing",
              "changed: index public.orders_user_id_idx is INVALID", extra_invalid_index,
              "extra: table public.scratch exists in the database but in no migration"});
    CHECK(json["schema"][0]["attribute"] == "default");
    CHECK(json["schema"][0]["expected"] == "'pending'::text");
    CHECK(json["schema"][0]["actual"] == "'paid'::text");

    auto text = p.run({"validate"});
    CHECK(text.exit_code == 11);
    CHECK(text.out.find("  missing   index public.order_items_product_id_idx is missing") !=
          std::string::npos);
    CHECK(text.out.find("verdict: DRIFT (0 history problems, 6 schema differences)") !=
          std::string::npos);
}

TEST_CASE("validate reports a migration file changed after it was applied") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    std::string file = "20260101090900_add_orders_shipped_at.up.sql";
    p.dir.write(file, read_text(p.dir.path() / file) + "-- edited after the deploy\n");

    auto json = p.validate_json();
    CHECK(json["drift"] == true);
    REQUIRE(json["history"].size() == 1);
    CHECK(json["history"][0]["state"] == "changed");
    CHECK(json["history"][0]["version"] == 20260101090900);
    CHECK(json["history"][0]["message"].get<std::string>().find(
              "migration 20260101090900_add_orders_shipped_at: file changed after it was "
              "applied") == 0);
    CHECK(json["schema"].empty());
}

TEST_CASE("schema dump writes a snapshot that validate --snapshot compares against") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    auto snapshot = p.dir.path() / "schema.json";

    auto dump = p.run({"schema", "dump", "--out", snapshot.string()});
    INFO(dump.all());
    REQUIRE(dump.exit_code == 0);
    auto written = nlohmann::json::parse(read_text(snapshot));
    CHECK(written["format"] == "safe-migrate-schema/1");
    CHECK(written["head"] == 20260102090000);
    CHECK(written["versions"].size() == 12);

    // The live database read directly gives the same objects.
    auto live = p.run({"schema", "dump", "--from-target"});
    REQUIRE(live.exit_code == 0);
    CHECK(nlohmann::json::parse(live.out)["objects"] == written["objects"]);

    auto clean = p.validate_json({"--snapshot", snapshot.string()});
    CHECK(clean["drift"] == false);
    CHECK(clean["expected"]["source"] == "snapshot");
    CHECK(clean["notes"].empty());

    p.db.query("ALTER TABLE public.users ADD COLUMN nickname text");
    auto drift = p.validate_json({"--snapshot", snapshot.string()});
    CHECK(schema_lines(drift) ==
          std::vector<std::string>{
              "extra: column public.users.nickname exists in the database but in no migration"});

    p.dir.write("bad.json", "{\"format\": \"something else\"}");
    auto bad = p.run({"validate", "--snapshot", (p.dir.path() / "bad.json").string()});
    CHECK(bad.exit_code == 3);
    CHECK(bad.err.find("is not a schema snapshot: format is not safe-migrate-schema/1") !=
          std::string::npos);
}

TEST_CASE("validate creates the target's roles on the throwaway database, so GRANTs apply") {
    TestDatabase db;
    MigrationDir dir;
    std::string role = db.name() + "_reader";
    db.query("CREATE ROLE " + role + " NOLOGIN");
    dir.write("1_t.up.sql", "CREATE TABLE t (id int);\nGRANT SELECT ON t TO " + role + ";\n");
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, {{"DATABASE_URL", db.url()}});
    };
    REQUIRE(run({"execute"}).exit_code == 0);
    auto r = run({"validate"});
    INFO(r.all());
    CHECK(r.exit_code == 0);
    db.query("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

TEST_CASE("a migration that fails on the throwaway database is a failure naming it") {
    TestDatabase db;
    MigrationDir dir;
    db.query("CREATE TABLE legacy (id int)");  // made by hand, in no migration
    dir.write("1_legacy_note.up.sql", "ALTER TABLE legacy ADD COLUMN note text;\n");
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--migrations-dir", dir.path().string()});
        return run_tool(args, {{"DATABASE_URL", db.url()}});
    };
    REQUIRE(run({"execute"}).exit_code == 0);
    auto r = run({"validate"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("safe-migrate: error: migration 1_legacy_note line 1 failed on the "
                     "throwaway database: ") != std::string::npos);
    CHECK(r.err.find("relation \"legacy\" does not exist") != std::string::npos);
    CHECK(r.err.find("hint: ") != std::string::npos);
}

TEST_CASE("SIGINT while validate starts its throwaway cluster stops it and removes it") {
    Project p;
    REQUIRE(p.run({"execute"}).exit_code == 0);
    PrivateTmp tmp;
    auto run = start_tool({"--migrations-dir", p.dir.path().string(), "validate"},
                          {{"DATABASE_URL", p.db.url()}, {"TMPDIR", tmp.path().string()}});
    // The cluster's directory appears just before initdb runs.
    REQUIRE(eventually([&] { return !tmp.entries("safe-migrate-sandbox").empty(); },
                       std::chrono::seconds(30)));
    run->send_signal(SIGINT);
    auto result = run->wait_for(std::chrono::seconds(60));
    REQUIRE(result);
    INFO(result->out + result->err);
    CHECK(result->exit_code == 130);
    CHECK(result->err.find("safe-migrate: error: interrupted by SIGINT while ") !=
          std::string::npos);
    CHECK(tmp.entries("safe-migrate-sandbox").empty());
    CHECK(tmp.entries("sm-validate").empty());
    CHECK(processes_under(tmp.path()) == 0);
}

TEST_CASE("SIGINT while validate runs a slow migration on the throwaway database cancels it") {
    TestDatabase db;
    MigrationDir dir;
    // Sleeps only when the session asks for it, so execute runs it quickly.
    dir.write("1_slow.up.sql",
              "CREATE TABLE t (a int);\n"
              "SELECT pg_sleep(CASE WHEN current_setting('sm.test_sleep', true) = 'on' THEN 60 "
              "ELSE 0 END);\n");
    REQUIRE(
        run_tool({"--migrations-dir", dir.path().string(), "execute"}, {{"DATABASE_URL", db.url()}})
            .exit_code == 0);
    PrivateTmp tmp;
    auto run = start_tool({"--migrations-dir", dir.path().string(), "validate"},
                          {{"DATABASE_URL", db.url()},
                           {"TMPDIR", tmp.path().string()},
                           {"PGOPTIONS", "-c sm.test_sleep=on"}});
    // Find the throwaway cluster and wait until the migration sleeps there.
    std::optional<sm::sandbox::ClusterState> state;
    REQUIRE(eventually(
        [&] {
            for (const auto& d : tmp.entries("sm-validate")) {
                try {
                    state = sm::sandbox::load_state(d / "sandbox.json");
                } catch (const std::exception&) {
                    state.reset();  // written as we read it
                }
            }
            return state.has_value();
        },
        std::chrono::seconds(60)));
    {
        auto probe = sm::db::connect(state->url("postgres"), "sm-test");
        REQUIRE(eventually(
            [&] {
                return probe
                           ->exec(
                               "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                               "'SELECT pg_sleep(CASE%' AND state = 'active'")
                           .scalar() == "1";
            },
            std::chrono::seconds(60)));
    }
    auto sent = std::chrono::steady_clock::now();
    run->send_signal(SIGINT);
    auto result = run->wait_for(std::chrono::seconds(30));
    REQUIRE(result);
    INFO(result->out + result->err);
    CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(15));
    CHECK(result->exit_code == 130);
    CHECK(result->err.find("safe-migrate: error: interrupted by SIGINT while applying 1_slow on "
                           "the throwaway database") != std::string::npos);
    CHECK(tmp.entries("safe-migrate-sandbox").empty());
    CHECK(tmp.entries("sm-validate").empty());
    CHECK(processes_under(tmp.path()) == 0);
}

}  // namespace validate_test
