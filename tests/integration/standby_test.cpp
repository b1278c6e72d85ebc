// execute refuses a standby: a real streaming replica of the suite's cluster.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "db/session.hpp"
#include "sandbox/cluster.hpp"
#include "support/test_database.hpp"
#include "support/tool.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace standby_test {

using namespace sm::test;

namespace {

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// A standby made with pg_basebackup -R, running as the server's account, on a
// port of its own; stopped and removed on destruction.
class Standby {
  public:
    explicit Standby(int port) : m_port(port) {
        const auto& primary = cluster();
        std::filesystem::permissions(
            m_dir.path(), std::filesystem::perms::all);  // the server's account writes here
        m_data = m_dir.path() / "data";
        run("pg_basebackup", {"-D", m_data.string(), "-R", "-X", "stream", "-h", "127.0.0.1", "-p",
                              std::to_string(primary.port), "-U", primary.superuser});
        run("pg_ctl", {"-D", m_data.string(), "-l", (m_dir.path() / "log").string(), "-w", "-o",
                       "-p " + std::to_string(port) + " -k " + m_dir.path().string(), "start"});
    }
    ~Standby() {
        try {
            run("pg_ctl", {"-D", m_data.string(), "-m", "immediate", "-w", "stop"});
        } catch (...) {
        }
    }
    std::string url() const {
        return "postgresql://" + cluster().superuser + ":" + sm::sandbox::read_password(cluster()) +
               "@127.0.0.1:" + std::to_string(m_port) + "/postgres";
    }

  private:
    void run(const std::string& program, std::vector<std::string> args) {
        sm::util::ProcessSpec spec;
        spec.program = (cluster().bindir / program).string();
        spec.args = std::move(args);
        spec.env_set = {{"PGPASSWORD", sm::sandbox::read_password(cluster())}};
        if (!cluster().run_as.empty()) {
            spec.run_as = sm::util::lookup_user(cluster().run_as);
        }
        sm::util::require_success(spec, sm::util::run_process(spec));
    }

    sm::util::TempDir m_dir{"sm-standby"};
    std::filesystem::path m_data;
    int m_port;
};

}  // namespace

TEST_CASE("execute refuses a standby and applies nothing") {
    Standby standby(free_port());
    auto session = sm::db::connect(standby.url(), "sm-test");
    REQUIRE(session->exec("SELECT pg_is_in_recovery()").scalar() == "t");

    MigrationDir dir;
    dir.write("1_a.up.sql", "CREATE TABLE a (x int);\n");
    auto run = run_tool({"--migrations-dir", dir.path().string(), "execute"},
                        {{"DATABASE_URL", standby.url()}});
    INFO(run.all());
    CHECK(run.exit_code == 8);
    CHECK(run.err.find("is a standby (in recovery)") != std::string::npos);
    CHECK(run.err.find("hint: Run migrations against the primary.") != std::string::npos);
    auto rollback = run_tool({"--migrations-dir", dir.path().string(), "rollback"},
                             {{"DATABASE_URL", standby.url()}});
    CHECK(rollback.exit_code == 8);
    CHECK(session->exec("SELECT to_regnamespace('safe_migrate') IS NULL").scalar() == "t");
}

}  // namespace standby_test
