// [backup] engine = "pgbackrest": restore points as the pre-deploy safety
// point, and `restore` rewinding the cluster to one with pgBackRest's
// point-in-time recovery. Runs for real on a cluster of its own (a rewind
// would take the shared sandbox with it): the Debian pgbackrest package, a
// repository in the cluster's temporary directory, archive_command set, and
// pgbackrest run as the cluster's owner. A missing pgbackrest fails.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "backup/restore_point.hpp"
#include "db/session.hpp"
#include "sandbox/cluster.hpp"
#include "support/project_fixture.hpp"
#include "support/tool.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace pgbackrest_test {

using namespace sm::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A cluster of this test's own with WAL archived by pgBackRest into a
// repository next to it (stanza "main"), and one full backup.
class ArchivedCluster {
  public:
    ArchivedCluster() : m_state_dir("sm-pgbr") {
        REQUIRE(sm::util::find_on_path("pgbackrest"));  // fails, never skips
        m_state = sm::sandbox::start_cluster(m_state_dir.path() / "sandbox.json");
        const fs::path root = m_state.root;
        for (const char* d : {"repo", "log", "lock", "spool"}) {
            fs::create_directories(root / d);
            own(root / d);
        }
        std::ofstream(config()) << "[global]\nrepo1-path=" << (root / "repo").string()
                                << "\nlog-path=" << (root / "log").string()
                                << "\nlock-path=" << (root / "lock").string()
                                << "\nspool-path=" << (root / "spool").string()
                                << "\nlog-level-console=warn\nstart-fast=y\n"
                                << "repo1-retention-full=9999\n[main]\npg1-path="
                                << m_state.data_dir.string() << "\npg1-port=" << m_state.port
                                << "\npg1-socket-path=" << root.string() << "\n";
        own(config());
        std::ofstream(m_state.data_dir / "postgresql.conf", std::ios::app)
            << "wal_level = replica\narchive_mode = on\nfull_page_writes = on\n"
            << "archive_command = 'pgbackrest --config=" << config().string()
            << " --stanza=main archive-push %p'\n";
        // pgBackRest connects over the socket as the OS user postgres (peer).
        std::string hba = sm::util::read_file_if_exists(m_state.data_dir / "pg_hba.conf").value();
        std::ofstream(m_state.data_dir / "pg_hba.conf") << "local all postgres peer\n" << hba;
        as_owner(pg_ctl(), {"restart", "-D", m_state.data_dir.string(), "-l",
                            m_state.log_file.string(), "-w", "-m", "fast"});
        as_owner("pgbackrest", {"--config=" + config().string(), "--stanza=main", "stanza-create"});
        as_owner("pgbackrest",
                 {"--config=" + config().string(), "--stanza=main", "backup", "--type=full"});
        sql("postgres", "CREATE DATABASE app");
    }
    ~ArchivedCluster() { sm::sandbox::stop_cluster(m_state_dir.path() / "sandbox.json"); }

    fs::path config() const { return m_state.root / "pgbackrest.conf"; }
    std::string pg_ctl() const { return (m_state.bindir / "pg_ctl").string(); }
    std::string url(const std::string& db = "app") const { return m_state.url(db); }
    const sm::sandbox::ClusterState& state() const { return m_state; }

    // Runs program as the cluster's owner; the test fails when it fails.
    sm::util::ProcessResult as_owner(const std::string& program,
                                     const std::vector<std::string>& args) const {
        sm::util::ProcessSpec spec;
        spec.program = program;
        spec.args = args;
        spec.cwd = "/";
        if (!m_state.run_as.empty()) {
            spec.run_as = sm::util::lookup_user(m_state.run_as);
        }
        auto r = sm::util::run_process(spec);
        INFO(program << " " << sm::util::join(args, " ") << "\n" << r.out << r.err);
        REQUIRE(r.ok());
        return r;
    }

    std::string sql(const std::string& db, const std::string& statement) const {
        auto session = sm::db::connect(url(db), "sm-test");
        auto r = session->exec(statement);
        return r.empty() || r.rows[0].empty() ? "" : r.scalar().value_or("");
    }

  private:
    void own(const fs::path& p) const {
        if (!m_state.run_as.empty()) {
            auto account = sm::util::lookup_user(m_state.run_as);
            REQUIRE(::chown(p.c_str(), account->uid, account->gid) == 0);
        }
    }

    sm::util::TempDir m_state_dir;
    sm::sandbox::ClusterState m_state;
};

std::string project_config(const Project& p, const ArchivedCluster& c,
                           const std::string& extra = "") {
    return "migrations_dir = \"migrations\"\n[backup]\ndir = \"" + p.backups().string() +
           "\"\nengine = \"pgbackrest\"\nstanza = \"main\"\npgbackrest_config = \"" +
           c.config().string() + "\"\n" + extra + "[environments.prod]\ndatabase_url = \"" +
           c.url() + "\"\n";
}

std::vector<std::string> prod(const Project& p, std::vector<std::string> more) {
    std::vector<std::string> all = {"--config", p.config().string(), "--env", "prod"};
    all.insert(all.end(), more.begin(), more.end());
    return all;
}

json backup_list(const Project& p) {
    auto r = run_tool(prod(p, {"backup", "list", "--format", "json"}));
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["backups"];
}

std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

}  // namespace

TEST_CASE(
    "a pgbackrest restore point before a deploy that drops data, and restore --latest back to it") {
    ArchivedCluster cluster;
    Project project;
    project.write_config(project_config(project, cluster));
    project.migration("1_customers.up.sql",
                      "CREATE TABLE customers (id int PRIMARY KEY, name text);\n"
                      "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 500) g;\n");
    auto first = run_tool(prod(project, {"execute", "--backup"}));
    INFO(first.all());
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("pre-deploy restore point safe-migrate-") != std::string::npos);

    // The deploy that loses data, behind its own restore point.
    project.migration("2_drop_customers.up.sql", "DROP TABLE customers;\n");
    auto second =
        run_tool(prod(project, {"execute", "--backup", "--override-policy", "--reason", "test"}));
    INFO(second.all());
    REQUIRE(second.exit_code == 0);
    CHECK(cluster.sql("app", "SELECT to_regclass('customers') IS NULL") == "t");
    json list = backup_list(project);
    REQUIRE(list.size() == 2);
    CHECK(list[1]["kind"] == "restore-point");
    CHECK(list[1]["migration_head"] == 1);
    CHECK(list[1]["restore_point"]["lsn"].get<std::string>().find('/') != std::string::npos);
    std::string point = list[1]["restore_point"]["name"];
    // Nothing of it is in the catalog to check: verify passes it as it is.
    auto verified = run_tool(prod(project, {"backup", "verify", "--latest"}));
    INFO(verified.all());
    CHECK(verified.exit_code == 0);

    // --into and --in-place have no meaning for a cluster rewind.
    auto into = run_tool(
        prod(project, {"restore", "--latest", "--into", "copy", "--confirm", "app,postgres"}));
    CHECK(into.exit_code == 8);
    CHECK(into.err.find("--into cannot be used with a restore point") != std::string::npos);
    // --confirm must name every database of the cluster.
    auto partial = run_tool(prod(project, {"restore", "--latest", "--confirm", "app"}));
    CHECK(partial.exit_code == 8);
    CHECK(partial.err.find("--confirm does not name postgres") != std::string::npos);
    CHECK(partial.err.find("--confirm app,postgres") != std::string::npos);
    CHECK(cluster.sql("app", "SELECT to_regclass('customers') IS NULL") == "t");

    // The rewind: the data is back, the later migration is gone, the events
    // recorded after the point are still in the trail.
    auto restored = run_tool(prod(project, {"restore", "--latest", "--confirm", "app,postgres"}));
    INFO(restored.all());
    REQUIRE(restored.exit_code == 0);
    CHECK(restored.out.find("rewound the cluster to " + point) != std::string::npos);
    CHECK(cluster.sql("app", "SELECT count(*) FROM customers") == "500");
    CHECK(cluster.sql("app", "SELECT max(version) FROM safe_migrate.history") == "1");
    CHECK(cluster.sql("app",
                      "SELECT count(*) FROM safe_migrate.events WHERE kind = "
                      "'migration.applied' AND version = '2'") != "0");
    CHECK(cluster.sql("app",
                      "SELECT count(*) FROM safe_migrate.events WHERE kind = "
                      "'restore.completed'") == "1");
    CHECK(cluster.sql("postgres", "SELECT pg_is_in_recovery()") == "f");

    // --kind logical finds no dump in a catalog of restore points.
    auto logical = run_tool(
        prod(project, {"restore", "--latest", "--kind", "logical", "--confirm", "app,postgres"}));
    CHECK(logical.exit_code == 7);
    CHECK(logical.err.find("no complete backup of database app") != std::string::npos);
}

TEST_CASE(
    "pgbackrest restore points refuse a failing check, an old base backup and a role without "
    "EXECUTE") {
    ArchivedCluster cluster;
    Project project;
    project.migration("1_customers.up.sql", "CREATE TABLE customers (id int PRIMARY KEY);\n");

    // pgbackrest check fails (no such stanza): exit 7, nothing applied, nothing listed.
    project.write_config(project_config(project, cluster));
    std::string text = sm::util::read_file_if_exists(project.config()).value();
    project.write_config(text.replace(text.find("stanza = \"main\""), 15, "stanza = \"nosuch\""));
    auto failing = run_tool(prod(project, {"execute", "--backup"}));
    INFO(failing.all());
    CHECK(failing.exit_code == 7);
    CHECK(failing.err.find("pgbackrest check exited with code 37:\n  ERROR: [037]: check command "
                           "requires option: pg1-path") != std::string::npos);
    CHECK(cluster.sql("app", "SELECT to_regclass('customers') IS NULL") == "t");
    CHECK(backup_list(project).empty());

    // The newest full backup is older than max_base_backup_age: refused, with
    // the command that takes one; that command works.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    project.write_config(project_config(project, cluster, "max_base_backup_age = \"1s\"\n"));
    auto old = run_tool(prod(project, {"execute", "--backup"}));
    INFO(old.all());
    CHECK(old.exit_code == 7);
    CHECK(old.err.find("no restore point taken: the newest full or differential backup of stanza "
                       "main") != std::string::npos);
    CHECK(cluster.sql("app", "SELECT to_regclass('customers') IS NULL") == "t");
    const std::string with = "hint: Take one as the cluster's owner with '";
    REQUIRE(old.err.find(with) != std::string::npos);
    std::string hint = old.err.substr(old.err.find(with) + with.size());
    std::vector<std::string> take = words(hint.substr(0, hint.find('\'')));
    REQUIRE(take.at(0) == "pgbackrest");
    cluster.as_owner("pgbackrest", {take.begin() + 1, take.end()});
    project.write_config(project_config(project, cluster, "max_base_backup_age = \"10min\"\n"));
    auto fresh = run_tool(prod(project, {"execute", "--backup"}));
    INFO(fresh.all());
    CHECK(fresh.exit_code == 0);
    CHECK(backup_list(project).size() == 1);

    // take_base_backup = true takes the full backup itself.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    project.write_config(project_config(project, cluster,
                                        "max_base_backup_age = \"1s\"\ntake_base_backup = true\n"));
    project.migration("2_orders.up.sql", "CREATE TABLE orders (id int PRIMARY KEY);\n");
    auto taken = run_tool(prod(project, {"execute", "--backup"}));
    INFO(taken.all());
    CHECK(taken.exit_code == 0);
    json list = backup_list(project);
    REQUIRE(list.size() == 2);
    CHECK(list[0]["restore_point"]["base_backup"] != list[1]["restore_point"]["base_backup"]);

    // A role that is not a superuser and may not call the functions: the GRANT
    // in the hint is what fixes it.
    cluster.sql("app", "CREATE ROLE deployer LOGIN PASSWORD 'deployer-pw'");
    std::string deployer =
        "postgresql://deployer:deployer-pw@127.0.0.1:" + std::to_string(cluster.state().port) +
        "/app";
    auto session = sm::db::connect(deployer, "sm-test");
    std::optional<sm::Error> refused;
    try {
        sm::backup::require_restore_point_privileges(*session);
    } catch (const sm::Error& e) {
        refused = e;
    }
    REQUIRE(refused);
    CHECK(refused->code() == sm::ExitCode::backup_failed);
    CHECK(std::string(refused->what()).find("role deployer may not create restore points") !=
          std::string::npos);
    std::string grants = refused->hint().substr(refused->hint().find("GRANT"));
    cluster.sql("app", grants);
    CHECK_NOTHROW(sm::backup::require_restore_point_privileges(*session));
}

TEST_CASE("restore --print-steps exports the events and prints each step as a command that works") {
    ArchivedCluster cluster;
    Project project;
    project.write_config(project_config(project, cluster));
    project.migration("1_customers.up.sql",
                      "CREATE TABLE customers (id int PRIMARY KEY);\n"
                      "INSERT INTO customers SELECT generate_series(1, 42);\n");
    REQUIRE(run_tool(prod(project, {"execute"})).exit_code == 0);
    project.migration("2_truncate.up.sql", "DELETE FROM customers;\n");
    auto second =
        run_tool(prod(project, {"execute", "--backup", "--override-policy", "--reason", "test"}));
    INFO(second.all());
    REQUIRE(second.exit_code == 0);
    CHECK(cluster.sql("app", "SELECT count(*) FROM customers") == "0");

    auto printed =
        run_tool(prod(project, {"restore", "--latest", "--kind", "restore-point", "--print-steps",
                                "--confirm", "postgres,app", "--format", "json"}));
    INFO(printed.all());
    REQUIRE(printed.exit_code == 0);
    json doc = json::parse(printed.out);
    CHECK(doc["result"] == "ok");
    std::vector<std::string> steps = doc["steps"];
    REQUIRE(steps.size() == 4);
    CHECK(cluster.sql("app", "SELECT count(*) FROM customers") == "0");  // nothing done yet

    // The first three on the database host as the owner, the last one from here.
    for (size_t i = 0; i < 3; ++i) {
        std::vector<std::string> w = words(steps[i]);
        cluster.as_owner(w.at(0), {w.begin() + 1, w.end()});
    }
    for (int i = 0; i < 200 && cluster.sql("postgres", "SELECT pg_is_in_recovery()") != "f"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(cluster.sql("app", "SELECT count(*) FROM customers") == "42");
    std::vector<std::string> carry = words(steps[3]);
    REQUIRE(carry.at(0) == "safe-migrate");
    auto carried = run_tool(prod(project, {carry.begin() + 1, carry.end()}));
    INFO(carried.all());
    REQUIRE(carried.exit_code == 0);
    CHECK(cluster.sql("app", "SELECT max(version) FROM safe_migrate.history") == "1");
    CHECK(cluster.sql("app",
                      "SELECT count(*) FROM safe_migrate.events WHERE kind = "
                      "'migration.applied' AND version = '2'") == "1");
}

}  // namespace pgbackrest_test
