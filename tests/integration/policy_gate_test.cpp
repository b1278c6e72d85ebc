// execute's policy gate against a real PostgreSQL: what it is about to apply
// is linted under the policy with the target's context, with or without a
// config file; policy errors refuse the run (exit 4) before any backup; the
// emergency override needs a reason, is recorded and notified, and is refused
// on protected environments unless allowed; a plan's verdict is the gate and a
// changed policy is a plan difference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/http_receiver.hpp"
#include "support/project_fixture.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace policy_gate_test {

using namespace sm::test;
using nlohmann::json;

namespace {

constexpr const char* k_create =
    "CREATE TABLE orders (id bigint PRIMARY KEY, shipped_at timestamptz);\n"
    "CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint);\n";
constexpr const char* k_drop =
    "ALTER TABLE orders DROP COLUMN shipped_at;\nTRUNCATE order_items;\n";
constexpr const char* k_reason = "INC-42: shipped_at leaks customer data";

// Migration 1 creates the tables (applied alone, then given rows); migration
// 2 drops a column and truncates: the files of the report.
void write_migrations(const Project& p) {
    p.migration("1_orders.up.sql", k_create);
    p.migration("2_drop_shipped.up.sql", k_drop);
}

void seed_rows(const TestDatabase& db) {
    db.query("INSERT INTO orders SELECT g, now() FROM generate_series(1, 100) g");
    db.query("INSERT INTO order_items SELECT g, g FROM generate_series(1, 100) g");
}

// db with migration 1 applied and rows in its tables.
void existing_tables(const Project& p, const TestDatabase& db,
                     const std::map<std::string, std::string>& env = {}) {
    auto first = run_tool(p.args(db, {"execute", "--target", "1"}), env);
    INFO(first.all());
    REQUIRE(first.exit_code == 0);
    seed_rows(db);
}

// Nothing of migration 2 was applied.
void check_untouched(const TestDatabase& db) {
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE version = '2'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                    "'orders' AND column_name = 'shipped_at'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM order_items") == "100");
}

std::string event_kinds(const TestDatabase& db) {
    return db.scalar("SELECT string_agg(kind, ',' ORDER BY id) FROM safe_migrate.events");
}

// The migrations only, with no config file: the project is its migrations directory.
std::vector<std::string> bare(const Project& p, std::vector<std::string> more) {
    std::vector<std::string> all = {"--migrations-dir", p.migrations().string()};
    all.insert(all.end(), more.begin(), more.end());
    return all;
}

}  // namespace

TEST_CASE("gate: execute refuses a DROP COLUMN on a table with rows with no config file at all") {
    TestDatabase db;
    Project p;
    write_migrations(p);
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    auto first = run_tool(bare(p, {"execute", "--target", "1"}), env);
    INFO(first.all());
    REQUIRE(first.exit_code == 0);
    seed_rows(db);

    // The dry run predicts it.
    auto dry = run_tool(bare(p, {"execute", "--dry-run"}), env);
    INFO(dry.all());
    CHECK(dry.exit_code == 4);
    CHECK(dry.out.find("would stop: the plan is blocked by policy default") != std::string::npos);

    auto run = run_tool(bare(p, {"execute"}), env);
    INFO(run.all());
    CHECK(run.exit_code == 4);
    // The findings as plan prints them, then the refusal.
    CHECK(run.out.find("ban-drop-column") != std::string::npos);
    CHECK(run.out.find("ban-truncate") != std::string::npos);
    CHECK(run.out.find("verdict: BLOCKED") != std::string::npos);
    CHECK(run.err.find("safe-migrate: error: the plan is blocked by policy default") !=
          std::string::npos);
    CHECK(run.err.find("nothing was applied") != std::string::npos);
    CHECK(run.out.find("applying 2_drop_shipped") == std::string::npos);
    check_untouched(db);
    CHECK(run_tool(bare(p, {"status"}), env).exit_code == 10);  // still pending
    // Recorded, and no backup of any kind.
    CHECK(event_kinds(db) == "run.started,migration.applied,run.finished,policy.blocked");

    // --format json: the plan artifact, as plan --format json prints it.
    auto as_json = run_tool(bare(p, {"execute", "--format", "json"}), env);
    CHECK(as_json.exit_code == 4);
    json plan = json::parse(as_json.out);
    CHECK(plan["verdict"] == "blocked");
    CHECK(plan["policy"]["name"] == "default");
    check_untouched(db);
}

TEST_CASE("gate: the same files apply in one run to an empty database that creates the tables") {
    // Needs the planner's "objects created earlier in the same run are exempt".
    TestDatabase db;
    Project p;
    write_migrations(p);
    std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};
    auto dry = run_tool(bare(p, {"execute", "--dry-run"}), env);
    INFO(dry.all());
    CHECK(dry.exit_code == 0);
    auto run = run_tool(bare(p, {"execute"}), env);
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history") == "2");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                    "'orders' AND column_name = 'shipped_at'") == "0");
}

TEST_CASE(
    "gate: --override-policy needs a reason, and with one it applies, recorded and notified") {
    TestDatabase db;
    Project p;
    HttpReceiver receiver;
    write_migrations(p);
    p.write_config(p.notify_section() +
                   webhook("pipeline", "generic", receiver.url("/hooks/deploy")));
    existing_tables(p, db);
    size_t before = receiver.count();

    auto no_reason = run_tool(p.args(db, {"execute", "--override-policy"}));
    CHECK(no_reason.exit_code == 2);
    CHECK(no_reason.err.find("--override-policy needs --reason") != std::string::npos);
    auto blank = run_tool(p.args(db, {"execute", "--override-policy", "--reason", "  "}));
    CHECK(blank.exit_code == 2);
    check_untouched(db);
    CHECK(receiver.count() == before);  // exit 2 before connecting: nobody told

    auto dry =
        run_tool(p.args(db, {"execute", "--dry-run", "--override-policy", "--reason", k_reason}));
    INFO(dry.all());
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.find("policy default would be overridden (2 error finding(s)): ") !=
          std::string::npos);

    auto run = run_tool(p.args(db, {"execute", "--override-policy", "--reason", k_reason}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find(std::string("policy default overridden (2 error finding(s)): ") +
                       k_reason) != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                    "'orders' AND column_name = 'shipped_at'") == "0");
    CHECK(db.scalar("SELECT count(*) FROM order_items") == "0");
    CHECK(db.scalar("SELECT message FROM safe_migrate.events WHERE kind = 'policy.overridden'") ==
          std::string("2 error finding(s) of policy default overridden: ") + k_reason);

    // deploy.started and deploy.succeeded carry the override and its reason.
    std::vector<std::string> carried;
    for (const auto& r : receiver.requests()) {
        json body = json::parse(r.body);
        if (!body["data"]["policy_override"].is_null()) {
            CHECK(body["data"]["policy_override"]["reason"] == k_reason);
            CHECK(body["data"]["policy_override"]["findings"] == 2);
            carried.push_back(body["type"]);
        }
    }
    CHECK(std::find(carried.begin(), carried.end(), "deploy.started") != carried.end());
    CHECK(std::find(carried.begin(), carried.end(), "deploy.succeeded") != carried.end());
}

TEST_CASE(
    "gate: on a protected environment the gate holds and the override needs "
    "allow_policy_override") {
    TestDatabase db;
    Project p;
    write_migrations(p);
    auto config = [&](const std::string& execute) {
        p.write_config(p.backup_section() + "[environments.prod]\nprotected = true\n" +
                       "database_url = \"" + db.url() + "\"\n" + execute);
    };
    config("");
    auto prod = [&](std::vector<std::string> more) {
        more.insert(more.begin(), {"--env", "prod"});
        return run_tool(p.args(more));
    };
    auto first = prod({"execute", "--target", "1"});
    INFO(first.all());
    REQUIRE(first.exit_code == 0);
    seed_rows(db);
    auto backups = [&] {
        auto r =
            run_tool({"backup", "list", "--format", "json", "--backup-dir", p.backups().string()});
        REQUIRE(r.exit_code == 0);
        return json::parse(r.out)["backups"].size();
    };
    REQUIRE(backups() == 1);  // migration 1's pre-deploy backup

    // Blocked: exit 4, and no pre-deploy backup was taken.
    auto blocked = prod({"execute"});
    INFO(blocked.all());
    CHECK(blocked.exit_code == 4);
    CHECK(backups() == 1);
    check_untouched(db);

    // The override is refused here (exit 8), and the dry run says so first.
    auto dry = prod({"execute", "--dry-run", "--override-policy", "--reason", k_reason});
    CHECK(dry.exit_code == 8);
    CHECK(dry.out.find("would stop: --override-policy is not allowed on protected environment "
                       "prod") != std::string::npos);
    auto refused = prod({"execute", "--override-policy", "--reason", k_reason});
    INFO(refused.all());
    CHECK(refused.exit_code == 8);
    CHECK(refused.err.find("allow_policy_override = true in [environments.prod.execute]") !=
          std::string::npos);
    CHECK(backups() == 1);
    check_untouched(db);

    // An unknown key in that table is still an error naming it.
    config("[environments.prod.execute]\nallow_policy_overide = true\n");
    auto typo = prod({"execute", "--override-policy", "--reason", k_reason});
    CHECK(typo.exit_code == 3);
    CHECK(typo.err.find("allow_policy_overide") != std::string::npos);

    // Allowed by the environment's config: applied after a verified backup.
    config("[environments.prod.execute]\nallow_policy_override = true\n");
    auto allowed = prod({"execute", "--override-policy", "--reason", k_reason});
    INFO(allowed.all());
    REQUIRE(allowed.exit_code == 0);
    CHECK(backups() == 2);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE version = '2'") == "1");
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.events WHERE kind = 'policy.overridden'") ==
          "1");
}

TEST_CASE("gate: execute --plan is held to the policy the plan was made under") {
    TestDatabase db;
    Project p;
    p.write_config("");
    write_migrations(p);
    std::filesystem::path policy = p.dir() / "team-policy.toml";
    auto write_policy = [&](const std::string& truncate) {
        std::ofstream(policy) << "extends = \"default\"\n[rules]\nban-drop-column = \"warning\"\n"
                                 "ban-truncate = \""
                              << truncate << "\"\n";
    };
    write_policy("warning");
    existing_tables(p, db);
    std::string plan_file = (p.dir() / "plan.json").string();
    auto plan = run_tool(p.args(db, {"plan", "--policy", policy.string(), "--out", plan_file}));
    INFO(plan.all());
    REQUIRE(plan.exit_code == 0);

    // The policy file was edited after the review: a difference, nothing applied.
    write_policy("off");
    auto edited =
        run_tool(p.args(db, {"execute", "--plan", plan_file, "--policy", policy.string()}));
    INFO(edited.all());
    CHECK(edited.exit_code == 11);
    CHECK(edited.err.find("policy: planned under team-policy (sha256 ") != std::string::npos);
    check_untouched(db);

    // Another policy (here the default): a difference too.
    auto other = run_tool(p.args(db, {"execute", "--plan", plan_file}));
    CHECK(other.exit_code == 11);
    CHECK(other.err.find("now default (sha256 ") != std::string::npos);
    check_untouched(db);

    // The reviewed policy: the plan's verdict is the gate, and it applies.
    write_policy("warning");
    auto run = run_tool(p.args(db, {"execute", "--plan", plan_file, "--policy", policy.string()}));
    INFO(run.all());
    REQUIRE(run.exit_code == 0);
    CHECK(db.scalar("SELECT count(*) FROM safe_migrate.history WHERE version = '2'") == "1");
}

}  // namespace policy_gate_test
