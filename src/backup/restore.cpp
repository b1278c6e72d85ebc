#include "backup/restore.hpp"

#include <map>
#include <thread>

#include "backup/archive_crypt.hpp"
#include "backup/create.hpp"
#include "backup/pg_tools.hpp"
#include "backup/pre_restore.hpp"
#include "backup/remote_catalog.hpp"
#include "backup/step_timings.hpp"
#include "backup/tables.hpp"
#include "backup/tool_run.hpp"
#include "core/conninfo.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "core/sql_quote.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::backup {
namespace {

using Clock = std::chrono::system_clock;

bool database_exists(db::Session& s, const std::string& name) {
    return !s.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", {name}).empty();
}

// The restored database must hold the manifest's tables with the recorded row
// counts. Returns the differences.
std::vector<std::string> check_restored(db::Session& db, const Manifest& m) {
    std::map<std::string, TableRef> present;
    for (auto& t : list_tables(db)) {
        present[t.name] = t;
    }
    std::vector<std::string> problems;
    for (const auto& want : m.tables) {
        auto it = present.find(want.table);
        if (it == present.end()) {
            problems.push_back(want.table + ": missing after the restore");
            continue;
        }
        if (want.rows >= 0) {
            int64_t rows = count_rows(db, it->second);
            if (rows != want.rows) {
                problems.push_back(want.table + ": " + std::to_string(rows) +
                                   " rows, the backup recorded " + std::to_string(want.rows));
            }
        }
        present.erase(it);
    }
    for (const auto& [name, ref] : present) {
        problems.push_back(name + ": not in the backup");
    }
    return problems;
}

util::ProcessSpec pg_restore_spec(const std::filesystem::path& program, const RestoreRequest& r,
                                  const std::string& dbname, bool in_place) {
    core::SplitConninfo conn = core::split_with_dbname(r.conninfo, dbname);
    std::vector<std::string> args = {"--exit-on-error", "--verbose", "--no-password",
                                     "--dbname=" + conn.conninfo};
    if (in_place) {
        args.insert(args.end(), {"--clean", "--if-exists", "--single-transaction"});
    } else if (r.manifest.archive_format == "directory" || r.manifest.archive_format == "custom") {
        int jobs = r.settings.jobs > 0
                       ? r.settings.jobs
                       : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
        args.push_back("--jobs=" + std::to_string(jobs));
    }
    args.push_back((r.backup_dir / r.manifest.archive).string());
    util::ProcessSpec spec = tool_spec(program, std::move(args));
    if (conn.password) {
        spec.env_set["PGPASSWORD"] = *conn.password;
    }
    return spec;
}

// The restore's progress is measured against the manifest: each table's share
// of the archive's bytes follows its row count (equal shares without counts).
ProgressPlan restore_progress_plan(const RestoreRequest& r) {
    ProgressPlan plan;
    plan.tables = r.manifest.header.table_data_entries;
    plan.total_bytes = r.manifest.total_bytes;
    plan.heartbeat = r.settings.heartbeat;
    plan.quiet = r.quiet;
    int64_t rows = 0;
    bool counted = true;
    for (const auto& t : r.manifest.tables) {
        counted = counted && t.rows >= 0;
        rows += std::max<int64_t>(t.rows, 0);
    }
    auto n = static_cast<int64_t>(r.manifest.tables.size());
    for (const auto& t : r.manifest.tables) {
        plan.bytes[t.table] =
            counted && rows > 0
                ? static_cast<int64_t>(static_cast<double>(plan.total_bytes) *
                                       static_cast<double>(t.rows) / static_cast<double>(rows))
                : plan.total_bytes / std::max<int64_t>(n, 1);
    }
    return plan;
}

void run_pg_restore(const util::ProcessSpec& spec, const RestoreRequest& r) {
    util::ProcessResult result = run_with_progress(spec, "restoring", restore_progress_plan(r));
    if (util::interrupted()) {
        throw Error(ExitCode::interrupted, "restore interrupted; pg_restore stopped");
    }
    if (!result.ok()) {
        throw Error(ExitCode::backup_failed, failure_message("pg_restore", result));
    }
}

// Gives other sessions up to wait to leave, then terminates those still
// there (force) or refuses, naming them.
std::vector<std::string> clear_sessions(db::Session& s, const std::string& database,
                                        const std::vector<int>& own, bool force,
                                        std::chrono::milliseconds wait) {
    std::vector<std::string> others = other_sessions(s, database, own);
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (!others.empty() && !force && std::chrono::steady_clock::now() < deadline &&
           !util::interrupted()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        others = other_sessions(s, database, own);
    }
    if (others.empty()) {
        return {};
    }
    if (!force) {
        std::string waited =
            wait.count() > 0 ? " after waiting " + util::format_duration(wait) : "";
        throw Error(ExitCode::refused,
                    std::to_string(others.size()) + " other session(s) still connected to " +
                        database + waited + ":\n  " + util::join(others, "\n  "),
                    "Stop the application first, or pass --force to terminate them.");
    }
    std::string pids;
    for (int pid : own) {
        pids += (pids.empty() ? "" : ",") + std::to_string(pid);
    }
    s.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
        "AND pid <> pg_backend_pid() AND pid <> ALL(string_to_array($2, ',')::int[])",
        {database, pids});
    for (const auto& o : others) {
        core::log_warn("terminated " + o + " (--force)");
    }
    return others;
}

// Restores into a fresh database named name, then checks it. Drops it when
// the restore or the check fails.
void restore_into_new(const RestoreRequest& r, db::Session& maintenance, const std::string& name,
                      const std::filesystem::path& pg_restore) {
    auto settings = r.control->exec(
        "SELECT pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
        "pg_get_userbyid(d.datdba) FROM pg_database d WHERE d.datname = current_database()");
    const auto& row = settings.rows.at(0);
    maintenance.exec(
        "CREATE DATABASE " + core::quote_ident(name) + " TEMPLATE template0 ENCODING " +
        core::quote_literal(r.manifest.source.encoding.empty() ? row[0].value_or("UTF8")
                                                               : r.manifest.source.encoding) +
        " LC_COLLATE " + core::quote_literal(row[1].value_or("C")) + " LC_CTYPE " +
        core::quote_literal(row[2].value_or("C")) + " OWNER " +
        core::quote_ident(row[3].value_or("postgres")));
    try {
        run_pg_restore(pg_restore_spec(pg_restore, r, name, false), r);
        auto restored =
            db::connect(core::with_dbname(r.conninfo, name), r.application_name + "/restore-check");
        std::vector<std::string> problems = check_restored(*restored, r.manifest);
        if (!problems.empty()) {
            throw Error(ExitCode::backup_failed,
                        "the restored database does not match the backup:\n  " +
                            util::join(problems, "\n  "));
        }
    } catch (...) {
        try {
            maintenance.exec("DROP DATABASE IF EXISTS " + core::quote_ident(name) +
                             " WITH (FORCE)");
        } catch (const std::exception& e) {
            core::log_warn("could not drop " + name + ": " + util::redact_text(e.what()));
        }
        throw;
    }
}

// Gives the restored database the target's name; the old one is kept.
std::string swap_names(const RestoreRequest& r, db::Session& maintenance, const std::string& target,
                       const std::string& restored, std::vector<int> own,
                       std::vector<std::string>& terminated) {
    std::string old_name = unused_pre_restore_name(maintenance, target, Clock::now());
    std::string t = core::quote_ident(target);
    // No new connections to the old database from here on; then clear it.
    maintenance.exec("ALTER DATABASE " + t + " ALLOW_CONNECTIONS false");
    try {
        own.push_back(maintenance.backend_pid());
        auto more = clear_sessions(maintenance, target, own, r.force, r.session_wait);
        terminated.insert(terminated.end(), more.begin(), more.end());
        // Our own lock session goes last; nobody can connect to take the lock now.
        maintenance.exec_params(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
            "AND pid <> pg_backend_pid()",
            {target});
        for (int i = 0; i < 50 && !other_sessions(maintenance, target, {}).empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        maintenance.exec("ALTER DATABASE " + t + " RENAME TO " + core::quote_ident(old_name));
    } catch (...) {
        maintenance.exec("ALTER DATABASE " + t + " ALLOW_CONNECTIONS true");
        throw;
    }
    try {
        maintenance.exec("ALTER DATABASE " + core::quote_ident(restored) + " RENAME TO " + t);
    } catch (...) {
        // The target's name must never be left empty: the old database takes it back.
        maintenance.exec("ALTER DATABASE " + core::quote_ident(old_name) + " RENAME TO " + t);
        maintenance.exec("ALTER DATABASE " + t + " ALLOW_CONNECTIONS true");
        throw;
    }
    maintenance.exec("ALTER DATABASE " + core::quote_ident(old_name) + " ALLOW_CONNECTIONS true");
    return old_name;
}

// Step 1: pg_restore able to read the archive, on a server no older than
// the source. Returns pg_restore's path.
std::filesystem::path check_versions(const RestoreRequest& r, int target_major) {
    std::filesystem::path pg_restore =
        find_pg_tool("pg_restore", r.settings.pg_bin_dir, target_major);
    ToolVersion restore_version = read_tool_version(pg_restore);
    auto dumped_by = parse_tool_version("pg_dump (PostgreSQL) " + r.manifest.pg_dump_version);
    if (dumped_by && restore_version.major < dumped_by->major) {
        throw Error(ExitCode::refused,
                    "pg_restore " + restore_version.text +
                        " cannot read an archive written by "
                        "pg_dump " +
                        r.manifest.pg_dump_version,
                    "Install postgresql-client-" + std::to_string(dumped_by->major) +
                        " or set [backup] pg_bin_dir.");
    }
    if (target_major < r.manifest.source.server_version / 10000) {
        throw Error(ExitCode::refused,
                    "the target runs PostgreSQL " + std::to_string(target_major) +
                        ", older than the backup's source (" +
                        std::to_string(r.manifest.source.server_version / 10000) + ")");
    }
    return pg_restore;
}

// Step 3: a backup of the target as it is now (kind pre-restore), under the
// lock the caller holds. Returns its id.
std::string take_safety_backup(const RestoreRequest& r) {
    CreateRequest safety;
    safety.kind = BackupKind::pre_restore;
    safety.label = "pre-restore";
    safety.settings = r.settings;
    safety.conninfo = r.conninfo;
    safety.application_name = r.application_name;
    safety.control = r.control;
    safety.lock_already_held = true;
    safety.quiet = r.quiet;
    return take_backup(safety).id;  // into the catalog, wherever it is
}

// In place: pg_restore --clean over target in one transaction, then the
// check. Tables the backup does not have are left and listed in result.
void restore_in_place(const RestoreRequest& r, const std::filesystem::path& pg_restore,
                      const std::string& target, RestoreResult& result) {
    std::string events = db::export_events(*r.control);
    run_pg_restore(pg_restore_spec(pg_restore, r, target, true), r);
    result.events_carried = db::import_events(*r.control, events);
    std::vector<std::string> problems = check_restored(*r.control, r.manifest);
    const std::string extra = ": not in the backup";
    std::vector<std::string> real;
    for (const auto& p : problems) {
        if (p.size() > extra.size() &&
            p.compare(p.size() - extra.size(), extra.size(), extra) == 0) {
            result.extra_tables.push_back(p.substr(0, p.size() - extra.size()));
        } else {
            real.push_back(p);
        }
    }
    if (!real.empty()) {
        throw Error(ExitCode::backup_failed,
                    "the database restored in place does not match the backup:\n  " +
                        util::join(real, "\n  "),
                    "The restore itself committed; the safety backup holds the state before it.");
    }
    result.database = target;
}

// Into: a new database named r.into, which must not exist yet.
void restore_into(const RestoreRequest& r, db::Session& maintenance,
                  const std::filesystem::path& pg_restore, RestoreResult& result) {
    if (database_exists(maintenance, r.into)) {
        throw Error(ExitCode::refused, "database " + r.into + " already exists",
                    "--into creates a new database; choose another name.");
    }
    restore_into_new(r, maintenance, r.into, pg_restore);
    result.database = r.into;
}

// Swap: a new database beside target, then the names swapped; the old one is
// kept under another name.
void restore_and_swap(const RestoreRequest& r, db::Session& maintenance,
                      const std::filesystem::path& pg_restore, const std::string& target,
                      const std::vector<int>& own, RestoreResult& result) {
    std::string restored =
        (target.size() > 40 ? target.substr(0, 40) : target) + "_restore_" + core::random_hex(4);
    restore_into_new(r, maintenance, restored, pg_restore);
    try {
        // The trail only grows: what the target recorded since the backup goes along.
        auto restored_session = db::connect(core::with_dbname(r.conninfo, restored),
                                            r.application_name + "/restore-events");
        result.events_carried = db::import_events(*restored_session, db::export_events(*r.control));
        restored_session.reset();
        result.previous_database =
            swap_names(r, maintenance, target, restored, own, result.terminated);
    } catch (...) {
        try {
            maintenance.exec("DROP DATABASE IF EXISTS " + core::quote_ident(restored) +
                             " WITH (FORCE)");
        } catch (const std::exception& e) {
            core::log_warn("could not drop " + restored + ": " + util::redact_text(e.what()));
        }
        throw;
    }
    result.database = target;
}

}  // namespace

std::unique_ptr<db::Session> maintenance_session(const std::string& conninfo,
                                                 const std::string& application_name) {
    try {
        return db::connect(core::with_dbname(conninfo, "postgres"), application_name);
    } catch (const Error& first) {
        try {
            return db::connect(core::with_dbname(conninfo, "template1"), application_name);
        } catch (const Error& second) {
            throw Error(ExitCode::db_unreachable,
                        "cannot connect to a maintenance database: postgres: " +
                            std::string(first.what()) + "; template1: " + second.what(),
                        first.hint());
        }
    }
}

void create_empty_database(db::Session& maintenance, const std::string& name, const Manifest& m) {
    auto row = maintenance
                   .exec(
                       "SELECT datcollate, datctype FROM pg_database "
                       "WHERE datname = current_database()")
                   .rows.at(0);
    maintenance.exec("CREATE DATABASE " + core::quote_ident(name) +
                     " TEMPLATE template0 ENCODING " +
                     core::quote_literal(m.source.encoding.empty() ? "UTF8" : m.source.encoding) +
                     " LC_COLLATE " + core::quote_literal(row[0].value_or("C")) + " LC_CTYPE " +
                     core::quote_literal(row[1].value_or("C")));
}

std::vector<std::string> other_sessions(db::Session& session, const std::string& database,
                                        const std::vector<int>& own) {
    std::string pids;
    for (int pid : own) {
        pids += (pids.empty() ? "" : ",") + std::to_string(pid);
    }
    auto r = session.exec_params(
        "SELECT pid, coalesce(application_name, ''), coalesce(usename, ''), "
        "coalesce(host(client_addr), 'local socket') FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid() "
        "AND pid <> ALL(string_to_array($2, ',')::int[]) AND backend_type = 'client backend' "
        "ORDER BY pid",
        {database, pids});
    std::vector<std::string> out;
    for (const auto& row : r.rows) {
        out.push_back("pid " + row[0].value_or("") + " (application '" + row[1].value_or("") +
                      "', user '" + row[2].value_or("") + "', from " + row[3].value_or("") + ")");
    }
    return out;
}

int user_table_count(db::Session& session) {
    return static_cast<int>(list_tables(session).size());
}

namespace {

RestoreResult restore_archive(const RestoreRequest& r, StepTimings& timings) {
    auto started = std::chrono::steady_clock::now();
    db::Session& control = *r.control;
    RestoreResult result;
    std::string target = db::read_identity(control).database;

    // 1. pg_restore able to read the archive, and a server no older than the source.
    std::filesystem::path pg_restore = check_versions(r, control.server_version() / 10000);

    // 2. Nobody else on the target (the into mode leaves the target alone).
    std::vector<int> own = r.own_sessions;
    own.push_back(control.backend_pid());
    if (r.mode != RestoreMode::into) {
        result.terminated = clear_sessions(control, target, own, r.force, r.session_wait);
    }

    timings.lap("checks");
    // 3. A safety backup of what is there now.
    if (r.safety_backup && r.mode != RestoreMode::into && user_table_count(control) > 0) {
        result.safety_id = take_safety_backup(r);
        timings.lap("safety backup");
    }

    // 4. Restore.
    auto maintenance = maintenance_session(r.conninfo, r.application_name + "/restore");
    if (r.mode == RestoreMode::in_place) {
        restore_in_place(r, pg_restore, target, result);
    } else if (r.mode == RestoreMode::into) {
        restore_into(r, *maintenance, pg_restore, result);
    } else {
        restore_and_swap(r, *maintenance, pg_restore, target, own, result);
    }
    timings.lap("pg_restore");
    timings.log("backup " + r.manifest.id + " restore");
    result.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return result;
}

}  // namespace

RestoreResult restore_backup(const RestoreRequest& r) {
    StepTimings timings;
    if (!r.manifest.encrypted()) {
        return restore_archive(r, timings);
    }
    // 0. Encrypted: decrypted into a private directory, every segment
    //    authenticated, before anything is touched; removed however it ends.
    PlainArchive plain(r.backup_dir, r.manifest, r.settings.encryption_key, r.settings.jobs);
    RestoreRequest decrypted = r;
    decrypted.backup_dir = plain.dir();
    timings.lap("decrypt");
    return restore_archive(decrypted, timings);
}

}  // namespace sm::backup
