#pragma once
// Throwaway PostgreSQL clusters, for the demo, plan --trace and the tests.
//
// A cluster lives in a private directory under the system temp directory:
// initdb'd data, its unix socket, its log, and a passfile. It listens on a free
// loopback port with password (SCRAM) authentication; the connection URL names
// the passfile, so the password never appears in the URL. When we run as root
// the server runs as the unprivileged `postgres` account (PostgreSQL refuses
// root). A JSON state file records where everything is, so later commands
// (stop, status, url) and other processes (the tests) can find the cluster.

#include <filesystem>
#include <optional>
#include <string>

namespace sm::sandbox {

struct ClusterState {
    std::filesystem::path root;      // the private directory
    std::filesystem::path data_dir;  // root/data
    std::filesystem::path log_file;  // root/server.log
    std::filesystem::path passfile;  // root/pgpass (0600, owned by the caller)
    std::filesystem::path bindir;    // where initdb/pg_ctl/postgres came from
    int port = 0;
    std::string superuser = "postgres";
    std::string run_as;  // OS account running the server; empty: ourselves

    // "postgresql://postgres@127.0.0.1:PORT/DBNAME?passfile=..."
    std::string url(const std::string& dbname = "postgres") const;
};

// The directory holding initdb, pg_ctl and postgres: $SAFE_MIGRATE_PG_BINDIR,
// then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin, then
// PATH. Throws sm::Error (failure) saying what to install when none is found.
std::filesystem::path find_server_bindir();

// Where the state file goes by default: $SAFE_MIGRATE_SANDBOX_STATE, else
// ./.safe-migrate/sandbox.json.
std::filesystem::path default_state_file();

// Starts a new cluster and writes state_file. When state_file names a cluster
// that is still running, returns that one instead. Throws sm::Error on failure,
// with the tail of the server log, and leaves nothing behind.
ClusterState start_cluster(const std::filesystem::path& state_file);

// Stops the cluster, removes its directory and the state file. Does nothing
// when there is no state file.
void stop_cluster(const std::filesystem::path& state_file);

// The state recorded in state_file, or std::nullopt when there is none.
std::optional<ClusterState> load_state(const std::filesystem::path& state_file);

// True when the cluster's server is running (pg_ctl status).
bool is_running(const ClusterState& state);

// The superuser password, read from the passfile (for tests that need a
// password in a URL).
std::string read_password(const ClusterState& state);

}  // namespace sm::sandbox
