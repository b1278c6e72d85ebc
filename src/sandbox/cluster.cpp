#include "sandbox/cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/identity.hpp"
#include "core/log.hpp"
#include "sandbox/data_template.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sm::sandbox {
namespace fs = std::filesystem;
namespace {

bool has_server(const fs::path& dir) {
    return fs::exists(dir / "initdb") && fs::exists(dir / "pg_ctl") && fs::exists(dir / "postgres");
}

int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        throw Error(ExitCode::failure, "cannot open a socket to find a free port");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw Error(ExitCode::failure, "cannot bind a loopback socket to find a free port");
    }
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

std::optional<util::RunAs> server_account(std::string& name) {
    if (::geteuid() != 0) {
        name.clear();
        return std::nullopt;
    }
    auto account = util::lookup_user("postgres");
    if (!account) {
        throw Error(
            ExitCode::failure,
            "PostgreSQL will not run as root, and there is no 'postgres' account",
            "Install the postgresql-15 package (it creates the account), or run as a normal user.");
    }
    name = "postgres";
    return account;
}

util::ProcessSpec server_command(const ClusterState& s, const std::string& program,
                                 std::vector<std::string> args) {
    util::ProcessSpec spec;
    spec.program = (s.bindir / program).string();
    spec.args = std::move(args);
    spec.cwd = s.root;
    spec.env_unset = {"PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE"};
    spec.env_set = {{"LC_ALL", "C.UTF-8"}};
    if (!s.run_as.empty()) {
        spec.run_as = util::lookup_user(s.run_as);
    }
    return spec;
}

void chown_to(const fs::path& path, const std::optional<util::RunAs>& account) {
    if (account && ::chown(path.c_str(), account->uid, account->gid) != 0) {
        throw Error(ExitCode::failure,
                    "cannot hand " + path.string() + " to the " + account->name + " account");
    }
}

void save_state(const fs::path& state_file, const ClusterState& s) {
    nlohmann::json j = {{"root", s.root.string()},
                        {"data_dir", s.data_dir.string()},
                        {"log_file", s.log_file.string()},
                        {"passfile", s.passfile.string()},
                        {"bindir", s.bindir.string()},
                        {"port", s.port},
                        {"superuser", s.superuser},
                        {"run_as", s.run_as},
                        {"url", s.url()}};
    if (state_file.has_parent_path()) {
        fs::create_directories(state_file.parent_path());
    }
    util::write_file_atomic(state_file, j.dump(2) + "\n");
}

std::string log_tail(const ClusterState& s) {
    return util::last_lines(util::read_file_if_exists(s.log_file).value_or(""), 8);
}

void run_initdb(const ClusterState& s, const std::optional<util::RunAs>& account,
                const fs::path& data_dir, const std::string& password) {
    fs::path pwfile = s.root / "initdb-password";
    util::write_file_atomic(pwfile, password + "\n",
                            fs::perms::owner_read | fs::perms::owner_write);
    chown_to(pwfile, account);
    auto initdb =
        server_command(s, "initdb",
                       {"-D", data_dir.string(), "-U", s.superuser, "--pwfile", pwfile.string(),
                        "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync", "--no-instructions"});
    auto result = util::run_process(initdb);
    fs::remove(pwfile);
    util::require_success(initdb, result);
}

// Throwaway settings: fast, loopback only, our own socket directory.
void write_settings(const ClusterState& s) {
    std::ofstream conf(s.data_dir / "postgresql.conf", std::ios::app);
    conf << "\n# safe-migrate sandbox\n"
         << "port = " << s.port << "\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << s.root.string() << "'\n"
         << "max_connections = 200\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "log_min_messages = warning\n";
}

void stop_server(const ClusterState& s) {
    auto stop =
        server_command(s, "pg_ctl", {"-D", s.data_dir.string(), "-m", "fast", "-w", "stop"});
    util::require_success(stop, util::run_process(stop));
}

// One attempt at a data directory (a copy of the initdb template, or initdb)
// and a start on a fresh port. Throws on failure and leaves nothing behind.
ClusterState try_start(const fs::path& bindir) {
    ClusterState s;
    s.bindir = bindir;
    std::string run_as;
    auto account = server_account(run_as);
    s.run_as = run_as;
    s.root = util::make_unique_dir(fs::temp_directory_path(), "safe-migrate-sandbox");
    s.data_dir = s.root / "data";
    s.log_file = s.root / "server.log";
    s.passfile = s.root / "pgpass";
    s.port = free_loopback_port();
    bool started = false;
    try {
        chown_to(s.root, account);
        std::string password = core::random_hex(24);
        auto initdb = [&](const fs::path& dir, const std::string& pw) {
            run_initdb(s, account, dir, pw);
        };
        std::optional<std::string> template_password = data_from_template(s, initdb);
        if (!template_password) {
            initdb(s.data_dir, password);
        }
        write_settings(s);
        util::write_file_atomic(
            s.passfile,
            "127.0.0.1:" + std::to_string(s.port) + ":*:" + s.superuser + ":" + password + "\n",
            fs::perms::owner_read | fs::perms::owner_write);

        auto start = server_command(
            s, "pg_ctl",
            {"-D", s.data_dir.string(), "-l", s.log_file.string(), "-w", "-t", "60", "start"});
        auto result = util::run_process(start);
        if (!result.ok()) {
            throw Error(ExitCode::failure, "the sandbox server did not start (pg_ctl " +
                                               result.how_it_ended() + "):\n" +
                                               util::indent(log_tail(s), "  "));
        }
        started = true;
        if (template_password) {
            rotate_superuser_password(s, *template_password, password);
        }
        return s;
    } catch (...) {
        if (started) {
            try {
                stop_server(s);
            } catch (const Error& e) {
                core::log_warn(std::string("could not stop the sandbox server: ") + e.what());
            }
        }
        std::error_code ignored;
        fs::remove_all(s.root, ignored);
        throw;
    }
}

}  // namespace

std::string ClusterState::url(const std::string& dbname) const {
    return "postgresql://" + superuser + "@127.0.0.1:" + std::to_string(port) + "/" + dbname +
           "?passfile=" + passfile.string();
}

fs::path find_server_bindir() {
    std::vector<fs::path> looked;
    if (const char* env = std::getenv("SAFE_MIGRATE_PG_BINDIR"); env != nullptr && *env != '\0') {
        if (has_server(env)) {
            return env;
        }
        looked.emplace_back(env);
    }
    if (auto pg_config = util::find_on_path("pg_config")) {
        util::ProcessSpec spec;
        spec.program = pg_config->string();
        spec.args = {"--bindir"};
        auto r = util::run_process(spec);
        fs::path dir(std::string(util::trim(r.out)));
        if (r.ok() && has_server(dir)) {
            return dir;
        }
        looked.push_back(dir);
    }
    std::vector<fs::path> versions;
    if (fs::is_directory("/usr/lib/postgresql")) {
        for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
            versions.push_back(entry.path() / "bin");
        }
    }
    std::sort(versions.begin(), versions.end(), [](const fs::path& a, const fs::path& b) {
        auto num = [](const fs::path& p) { return std::atoi(p.parent_path().filename().c_str()); };
        return num(a) > num(b);
    });
    for (const auto& dir : versions) {
        if (has_server(dir)) {
            return dir;
        }
        looked.push_back(dir);
    }
    if (auto initdb = util::find_on_path("initdb")) {
        fs::path dir = fs::canonical(*initdb).parent_path();
        if (has_server(dir)) {
            return dir;
        }
    }
    std::vector<std::string> names;
    names.reserve(looked.size());
    for (const auto& p : looked) {
        names.push_back(p.string());
    }
    throw Error(
        ExitCode::failure,
        "no PostgreSQL server binaries found (looked in " +
            (names.empty() ? std::string("pg_config, /usr/lib/postgresql/*/bin, PATH")
                           : util::join(names, ", ")) +
            ")",
        "Install them with: sudo apt-get install postgresql-15 (or set SAFE_MIGRATE_PG_BINDIR).");
}

fs::path default_state_file() {
    if (const char* env = std::getenv("SAFE_MIGRATE_SANDBOX_STATE");
        env != nullptr && *env != '\0') {
        return env;
    }
    return fs::path(".safe-migrate") / "sandbox.json";
}

std::optional<ClusterState> load_state(const fs::path& state_file) {
    auto text = util::read_file_if_exists(state_file);
    if (!text) {
        return std::nullopt;
    }
    try {
        auto j = nlohmann::json::parse(*text);
        ClusterState s;
        s.root = j.at("root").get<std::string>();
        s.data_dir = j.at("data_dir").get<std::string>();
        s.log_file = j.at("log_file").get<std::string>();
        s.passfile = j.at("passfile").get<std::string>();
        s.bindir = j.at("bindir").get<std::string>();
        s.port = j.at("port").get<int>();
        s.superuser = j.at("superuser").get<std::string>();
        s.run_as = j.at("run_as").get<std::string>();
        return s;
    } catch (const nlohmann::json::exception& e) {
        throw Error(ExitCode::invalid_input,
                    "sandbox state file " + state_file.string() + " is damaged: " + e.what(),
                    "Remove it; if a server is still running, stop it with pg_ctl.");
    }
}

bool is_running(const ClusterState& s) {
    if (!fs::exists(s.data_dir)) {
        return false;
    }
    auto spec = server_command(s, "pg_ctl", {"-D", s.data_dir.string(), "status"});
    return util::run_process(spec).ok();
}

ClusterState start_cluster(const fs::path& state_file) {
    if (auto existing = load_state(state_file)) {
        if (is_running(*existing)) {
            core::log_info("sandbox already running on port " + std::to_string(existing->port));
            return *existing;
        }
        stop_cluster(state_file);
    }
    fs::path bindir = find_server_bindir();
    // The port is free when we pick it, but another process may take it before
    // the server binds; try a few times.
    for (int attempt = 1;; ++attempt) {
        try {
            ClusterState s = try_start(bindir);
            save_state(state_file, s);
            return s;
        } catch (const Error& e) {
            if (attempt >= 3) {
                throw;
            }
            core::log_warn(std::string("sandbox start failed, retrying on another port: ") +
                           e.what());
        }
    }
}

void stop_cluster(const fs::path& state_file) {
    auto s = load_state(state_file);
    if (!s) {
        return;
    }
    if (is_running(*s)) {
        stop_server(*s);
    }
    std::error_code ignored;
    fs::remove_all(s->root, ignored);
    fs::remove(state_file, ignored);
}

std::string read_password(const ClusterState& s) {
    std::string line(util::trim(util::read_file(s.passfile)));
    return line.substr(line.rfind(':') + 1);
}

}  // namespace sm::sandbox
