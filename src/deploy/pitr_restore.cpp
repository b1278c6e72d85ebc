#include "deploy/pitr_restore.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "backup/pg_tools.hpp"
#include "backup/pgbackrest.hpp"
#include "backup/restore_point.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/history.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace fs = std::filesystem;
namespace {

using PitrClock = std::chrono::steady_clock;

// What the recovery needs to know about the cluster, read before anything changes.
struct ClusterFacts {
    std::vector<std::string> databases;  // every database that accepts connections
    std::optional<std::string> data_dir;
    std::string config_dir;  // where postgresql.conf is (pg_ctl start -D)
    std::string port;
    int server_major = 0;
    bool local = false;  // the data directory is here and we may act as its owner
    std::string why_not_local;
};

ClusterFacts read_cluster_facts(db::Session& s, const core::TargetIdentity& id) {
    ClusterFacts f;
    for (const auto& row :
         s.exec("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate "
                "ORDER BY datname")
             .rows) {
        f.databases.push_back(row.at(0).value_or(""));
    }
    // The server's own port: the connection's may be a socket's, or a pooler's.
    f.port = s.exec("SELECT current_setting('port')").scalar().value_or("");
    f.server_major = id.server_version / 10000;
    f.data_dir = backup::data_directory(s);
    if (!f.data_dir) {
        f.why_not_local = "the role may not read data_directory (not a superuser)";
        return f;
    }
    f.config_dir = fs::path(s.exec("SELECT current_setting('config_file')").scalar().value_or(""))
                       .parent_path();
    struct stat st {};
    fs::path pid_file = fs::path(*f.data_dir) / "postmaster.pid";
    auto pid_text = util::read_file_if_exists(pid_file);
    std::vector<std::string> lines = util::split(pid_text.value_or(""), '\n');
    if (!pid_text || lines.size() < 4 || util::trim(lines[1]) != *f.data_dir ||
        util::trim(lines[3]) != f.port) {
        f.why_not_local = "the data directory " + *f.data_dir + " is not on this host";
    } else if (::stat(f.data_dir->c_str(), &st) != 0 ||
               (::geteuid() != 0 && ::geteuid() != st.st_uid)) {
        f.why_not_local = "safe-migrate does not run as the owner of " + *f.data_dir;
    } else {
        f.local = true;
    }
    return f;
}

// --confirm must name every database the rewind touches.
void require_all_databases(const CatalogRestoreRequest& request, const ClusterFacts& f) {
    if (request.mode != backup::RestoreMode::swap) {
        throw Error(ExitCode::refused,
                    std::string("restore refused: ") +
                        (request.mode == backup::RestoreMode::into ? "--into" : "--in-place") +
                        " cannot be used with a restore point: a point-in-time recovery rewinds "
                        "the whole cluster",
                    "Nothing was changed. Choose a logical backup with --kind logical, or drop "
                    "the flag to rewind the cluster.");
    }
    std::set<std::string> confirmed;
    for (const auto& name : util::split(request.confirm.value_or(""), ',')) {
        confirmed.insert(std::string(util::trim(name)));
    }
    std::vector<std::string> missing;
    for (const auto& d : f.databases) {
        if (confirmed.count(d) == 0) {
            missing.push_back(d);
        }
    }
    if (!missing.empty()) {
        throw Error(ExitCode::refused,
                    "restore refused: a point-in-time recovery rewinds every database of the "
                    "cluster and --confirm does not name " +
                        util::join(missing, ", "),
                    "Nothing was changed. Re-run with --confirm " + util::join(f.databases, ",") +
                        " to rewind them all.");
    }
}

// pgBackRest must hold a full or differential backup that finished before the point.
void require_base_backup_before(const backup::PgBackRest& p, const backup::Manifest& m) {
    auto info = backup::run_pgbackrest(p, "info", {"--output=json"});
    auto base = backup::newest_base_backup(info.out, p.stanza, m.finished());
    if (!base) {
        throw Error(ExitCode::backup_failed,
                    "stanza " + p.stanza +
                        " holds no full or differential backup from before "
                        "restore point " +
                        m.restore_point->name + "; nothing was changed",
                    "The base backups it needs were expired; see '" +
                        backup::pgbackrest_command_line(p, "info") + "'.");
    }
}

std::vector<std::string> restore_options(const backup::Manifest& m) {
    return {"--delta", "--type=name", "--target=" + m.restore_point->name,
            "--target-action=promote"};
}

std::string pg_ctl_path(const ClusterFacts& f, const CatalogRestoreRequest& request) {
    return backup::find_pg_tool("pg_ctl", request.config.backup.pg_bin_dir, f.server_major)
        .string();
}

std::string start_log(const ClusterFacts& f) {
    return (fs::path(*f.data_dir) / "safe-migrate-pitr.log").string();
}

std::vector<std::string> start_args(const ClusterFacts& f) {
    return {"start", "-D", f.config_dir, "-l", start_log(f), "-w", "-t", "600"};
}

// Runs pg_ctl as the cluster's owner. Throws backup_failed with why it failed.
void run_pg_ctl(const std::string& program, std::vector<std::string> args,
                const std::optional<util::RunAs>& owner, const std::string& if_failed) {
    util::ProcessSpec spec;
    spec.program = program;
    spec.args = std::move(args);
    spec.run_as = owner;
    spec.cwd = "/";
    spec.env_unset = {"PGDATA", "PGPORT"};
    util::ProcessResult r = util::run_process(spec);
    if (!r.ok()) {
        throw Error(ExitCode::backup_failed,
                    "pg_ctl " + spec.args.at(0) + " " + r.how_it_ended() + ":\n  " +
                        util::redact_text(std::string(util::trim(r.err.empty() ? r.out : r.err))),
                    if_failed);
    }
}

// Waits until a session on the maintenance database says recovery is over.
void wait_for_promotion(const CatalogRestoreRequest& request) {
    auto deadline = PitrClock::now() + std::chrono::minutes(10);
    std::string last = "no answer yet";
    while (PitrClock::now() < deadline) {
        try {
            auto s = backup::maintenance_session(request.target.conninfo,
                                                 request.config.application_name + "/pitr");
            if (s->exec("SELECT pg_is_in_recovery()").scalar() == "f") {
                return;
            }
            last = "still in recovery";
        } catch (const std::exception& e) {
            last = util::redact_text(e.what());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    throw Error(ExitCode::backup_failed,
                "the cluster did not finish recovery within 10 minutes (" + last + ")",
                "Read the server log; see runbooks/pgbackrest-pitr.md.");
}

std::string shell_quote_arg(const std::string& a) {
    return a.find_first_of(" '\"$\\") == std::string::npos ? a : "'" + a + "'";
}

std::string command_line(const std::string& program, const std::vector<std::string>& args) {
    std::string line = shell_quote_arg(program);
    for (const auto& a : args) {
        line += " " + shell_quote_arg(a);
    }
    return line;
}

// The steps a DBA runs on the database host as the cluster's owner.
std::vector<std::string> printed_steps(const CatalogRestoreRequest& request, const ClusterFacts& f,
                                       const backup::PgBackRest& p, const backup::Manifest& m,
                                       const std::string& events_file) {
    std::string data = f.data_dir.value_or("<data directory>");
    std::string pg_ctl = "pg_ctl";
    try {
        pg_ctl = pg_ctl_path(f, request);
    } catch (const Error&) {
        // pg_ctl is not here: the DBA's PATH on the database host finds it.
    }
    ClusterFacts shown = f;
    shown.data_dir = data;
    if (shown.config_dir.empty()) {
        shown.config_dir = data;
    }
    return {command_line(pg_ctl, {"stop", "-D", data, "-m", "fast", "-w"}),
            backup::pgbackrest_command_line(p, "restore", restore_options(m)),
            command_line(pg_ctl, start_args(shown)),
            "safe-migrate restore --carry-events " + shell_quote_arg(events_file)};
}

// Stops the cluster, restores it to m's point with pgBackRest, starts it and
// waits for the promotion, as the cluster's owner.
void recover_here(const CatalogRestoreRequest& request, const ClusterFacts& f,
                  const backup::PgBackRest& p, const backup::Manifest& m,
                  const std::function<void(const std::string&)>& tell) {
    std::string pg_ctl = pg_ctl_path(f, request);
    std::string start_again = "Start the cluster again with '" +
                              command_line(pg_ctl, start_args(f)) +
                              "' as its owner; see runbooks/pgbackrest-pitr.md.";
    tell("stopping the cluster (" + *f.data_dir + ")");
    run_pg_ctl(pg_ctl, {"stop", "-D", *f.data_dir, "-m", "fast", "-w"}, p.run_as,
               "The cluster may still be running; nothing was restored.");
    tell("restoring to " + m.restore_point->name + " with pgBackRest");
    try {
        backup::run_pgbackrest(p, "restore", restore_options(m));
    } catch (const Error& e) {
        throw Error(ExitCode::backup_failed, std::string(e.what()) + "\nthe cluster is stopped",
                    start_again);
    }
    run_pg_ctl(pg_ctl, start_args(f), p.run_as, start_again);
    wait_for_promotion(request);
}

}  // namespace

CatalogRestoreResult restore_to_point(const CatalogRestoreRequest& request,
                                      const backup::CatalogEntry& entry, const backup::Manifest& m,
                                      db::Session& session, const core::TargetIdentity& id,
                                      const std::function<void(const std::string&)>& tell) {
    auto started = PitrClock::now();
    // 1. The same cluster, every database confirmed, no --into / --in-place.
    if (m.source.system_identifier != id.system_identifier || !m.restore_point) {
        throw Error(ExitCode::refused,
                    "restore refused: restore point " + m.id + " belongs to cluster " +
                        m.source.system_identifier + ", the target is cluster " +
                        id.system_identifier,
                    "Nothing was changed. A restore point can only rewind its own cluster.");
    }
    ClusterFacts f = read_cluster_facts(session, id);
    backup::PgBackRest p{
        m.restore_point->stanza, request.config.backup.pgbackrest_config,
        backup::cluster_account(f.data_dir ? std::optional<fs::path>(*f.data_dir) : std::nullopt)};
    tell("backup   " + m.id + " (restore point " + m.restore_point->name + " at " +
         m.restore_point->lsn + ", " + m.finished_at + ", migration head " +
         (m.migration_head ? core::to_string(*m.migration_head) : "none") + ", stanza " + p.stanza +
         ")");
    tell("target   " + id.host + ":" + id.port + " cluster " + id.system_identifier +
         ", every database rewound: " + util::join(f.databases, ", "));
    require_all_databases(request, f);

    // 2. pgBackRest can replay to the point.
    require_base_backup_before(p, m);

    // 3. The trail so far, kept in the catalog across the rewind.
    std::string run_id = core::new_run_id();
    if (db::history_exists(session)) {
        db::record_event(session, {run_id, "restore.started", m.migration_head,
                                   "point-in-time recovery to " + m.restore_point->name});
    }
    CatalogRestoreResult done;
    done.backup_id = m.id;
    done.restore_point = m.restore_point->name;
    done.restored.database = id.database;
    done.events_file = (entry.dir / ("events-" + run_id + ".json")).string();
    util::write_file_atomic(done.events_file, db::export_events(session),
                            fs::perms::owner_read | fs::perms::owner_write);
    if (!f.local || request.print_steps) {
        if (!f.local) {
            tell("safe-migrate cannot run the recovery here: " + f.why_not_local);
        }
        done.steps = printed_steps(request, f, p, m, done.events_file);
        return done;
    }

    // 4. Stop, restore to the point, start; the server promotes itself there.
    recover_here(request, f, p, m, tell);

    // 5. The events recorded after the point go back in: the trail only grows.
    auto events = request.io.connect("events");
    done.restored.events_carried =
        db::import_events(*events, util::read_file_if_exists(done.events_file).value_or("[]"));
    done.restored.took = util::millis_since(started);
    db::record_event(*events, {run_id, "restore.completed", m.migration_head,
                               "point-in-time recovery to " + m.restore_point->name + "; " +
                                   std::to_string(done.restored.events_carried) +
                                   " later event(s) carried over"});
    return done;
}

CatalogRestoreResult carry_events(const CatalogRestoreRequest& request, const fs::path& file) {
    auto text = util::read_file_if_exists(file);
    if (!text) {
        throw Error(ExitCode::invalid_input, "cannot read the exported events " + file.string());
    }
    auto session = request.io.connect("events");
    CatalogRestoreResult done;
    done.carried_only = true;
    done.restore_point = "(finished by hand)";
    done.events_file = file.string();
    done.restored.events_carried = db::import_events(*session, *text);
    db::record_event(*session, {core::new_run_id(), "restore.completed", std::nullopt,
                                "point-in-time recovery finished by hand; " +
                                    std::to_string(done.restored.events_carried) +
                                    " later event(s) carried over"});
    return done;
}

}  // namespace sm::deploy
