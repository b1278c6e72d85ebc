// safe-migrate sandbox start|status|url|stop, on a cluster of its own.
#include <catch2/catch.hpp>
#include <filesystem>

#include "db/session.hpp"
#include "sandbox/cluster.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace sandbox_test {

using namespace sm::test;

TEST_CASE("sandbox start, status, url and stop manage a private cluster") {
    sm::util::TempDir dir("sm-sandbox-test");
    std::string state = (dir.path() / "state.json").string();

    auto before = run_tool({"sandbox", "status", "--state", state});
    CHECK(before.exit_code == 1);
    CHECK(before.out.find("not running") != std::string::npos);

    auto start = run_tool({"sandbox", "start", "--state", state});
    INFO(start.all());
    REQUIRE(start.exit_code == 0);
    std::string url(start.out.substr(0, start.out.find('\n')));
    CHECK(url.rfind("postgresql://postgres@127.0.0.1:", 0) == 0);
    CHECK(url.find("passfile=") != std::string::npos);

    auto session = sm::db::connect(url, "sandbox-test");
    CHECK(session->server_version() >= 150000);
    CHECK(session->exec("SELECT current_setting('fsync')").scalar() == "off");
    session.reset();

    CHECK(run_tool({"sandbox", "url", "--state", state}).out == start.out);
    auto status = run_tool({"sandbox", "status", "--state", state, "--format", "json"});
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("\"running\": true") != std::string::npos);
    // Starting again reuses the running cluster.
    CHECK(run_tool({"sandbox", "start", "--state", state}).out == start.out);

    auto root = status.out.substr(status.out.find("\"directory\": \"") + 14);
    root = root.substr(0, root.find('"'));
    REQUIRE(std::filesystem::exists(root));
    auto stop = run_tool({"sandbox", "stop", "--state", state});
    CHECK(stop.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(root));
    CHECK_FALSE(std::filesystem::exists(state));
    CHECK(run_tool({"sandbox", "url", "--state", state}).exit_code == 1);
}

TEST_CASE("sandbox clusters copy one cached initdb, and each gets its own password") {
    sm::util::TempDir dir("sm-sandbox-template");
    std::map<std::string, std::string> env = {{"XDG_CACHE_HOME", (dir.path() / "cache").string()}};
    std::string state_a = (dir.path() / "a.json").string();
    std::string state_b = (dir.path() / "b.json").string();
    auto a = run_tool({"sandbox", "start", "--state", state_a}, env);
    INFO(a.all());
    REQUIRE(a.exit_code == 0);
    auto b = run_tool({"sandbox", "start", "--state", state_b}, env);
    INFO(b.all());
    REQUIRE(b.exit_code == 0);

    // One template, complete, private, and no staging copy left behind.
    std::vector<std::filesystem::path> kept;
    for (const auto& entry :
         std::filesystem::directory_iterator(dir.path() / "cache" / "safe-migrate")) {
        kept.push_back(entry.path());
    }
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].filename().string().rfind("pg-template-", 0) == 0);
    CHECK(std::filesystem::exists(kept[0] / "data" / "PG_VERSION"));
    CHECK_FALSE(std::filesystem::exists(kept[0] / "data" / "postmaster.pid"));  // never started
    auto perms = std::filesystem::status(dir.path() / "cache" / "safe-migrate").permissions();
    CHECK((perms & std::filesystem::perms::all) == std::filesystem::perms::owner_all);
    std::string template_password(sm::util::trim(sm::util::read_file(kept[0] / "password")));

    auto cluster_a = sm::sandbox::load_state(state_a);
    auto cluster_b = sm::sandbox::load_state(state_b);
    REQUIRE(cluster_a);
    REQUIRE(cluster_b);
    std::string password_a = sm::sandbox::read_password(*cluster_a);
    std::string password_b = sm::sandbox::read_password(*cluster_b);
    CHECK(password_a != password_b);
    CHECK(password_a != template_password);
    CHECK(password_b != template_password);
    // Each cluster takes its own password and refuses the template's.
    for (const auto& cluster : {*cluster_a, *cluster_b}) {
        CHECK(sm::db::connect(cluster.url(), "sandbox-test")->exec("SELECT 1").scalar() == "1");
        std::string with_template = "postgresql://postgres:" + template_password +
                                    "@127.0.0.1:" + std::to_string(cluster.port) + "/postgres";
        CHECK_THROWS(sm::db::connect(with_template, "sandbox-test"));
    }
    CHECK(run_tool({"sandbox", "stop", "--state", state_a}, env).exit_code == 0);
    CHECK(run_tool({"sandbox", "stop", "--state", state_b}, env).exit_code == 0);
}

TEST_CASE("sandbox start without server binaries says what to install") {
    // Hide the installed server in a private mount namespace (user namespace
    // too, so this works without root), then ask for a sandbox.
    sm::util::TempDir dir("sm-sandbox-nobin");
    std::string script =
        "mount -t tmpfs tmpfs /usr/lib/postgresql && "
        "for p in $(command -v pg_config initdb 2>/dev/null); do mount --bind /dev/null \"$p\"; "
        "done && "
        "exec \"$0\" sandbox start --state \"$1\"";
    sm::util::ProcessSpec spec;
    spec.program = "unshare";
    spec.args = {"-rm", "sh", "-c", script, SM_BINARY, (dir.path() / "state.json").string()};
    spec.env_unset = {"SAFE_MIGRATE_PG_BINDIR"};
    auto r = sm::util::run_process(spec);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("safe-migrate: error: no PostgreSQL server binaries found (looked in") !=
          std::string::npos);
    CHECK(r.err.find("hint: Install them with: sudo apt-get install postgresql-15") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "state.json"));
}

}  // namespace sandbox_test
