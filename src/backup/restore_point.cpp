#include "backup/restore_point.hpp"

#include <filesystem>

#include "backup/create.hpp"
#include "core/duration.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/time.hpp"
#include "util/worker_pool.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::system_clock;

// The newest full/diff backup, young enough, or a new full one when allowed.
std::string require_recent_base_backup(const PgBackRest& p, const core::BackupSettings& settings,
                                       const std::string& info_json, bool quiet) {
    auto newest = newest_base_backup(info_json, p.stanza);
    auto age = [&](const BaseBackup& b) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - b.stopped);
    };
    // "0" is no limit, as for the other durations.
    if (newest && (settings.max_base_backup_age.count() == 0 ||
                   age(*newest) <= settings.max_base_backup_age)) {
        return newest->label;
    }
    std::string why = newest ? "the newest full or differential backup of stanza " + p.stanza +
                                   " (" + newest->label + ") finished " +
                                   util::format_duration(age(*newest)) + " ago, more than " +
                                   "max_base_backup_age (" +
                                   util::format_duration(settings.max_base_backup_age) + ")"
                             : "stanza " + p.stanza + " has no full or differential backup";
    if (!settings.take_base_backup) {
        throw Error(ExitCode::backup_failed,
                    "no restore point taken: " + why + "; nothing was applied",
                    "Take one as the cluster's owner with '" +
                        pgbackrest_command_line(p, "backup", {"--type=full"}) +
                        "', or set [backup] take_base_backup = true.");
    }
    if (!quiet) {
        core::log_info(why + "; taking a full backup first");
    }
    run_pgbackrest(p, "backup", {"--type=full"});
    newest = newest_base_backup(run_pgbackrest(p, "info", {"--output=json"}).out, p.stanza);
    if (!newest) {
        throw Error(
            ExitCode::backup_failed,
            "pgbackrest backup finished but info lists no full backup of stanza " + p.stanza);
    }
    return newest->label;
}

// Writes the manifest in a private work directory renamed into place, so a
// visible entry always has its manifest.
void publish_restore_point(const fs::path& catalog, Manifest& m) {
    std::string base = m.id;
    for (int n = 2; fs::exists(catalog / m.id); ++n) {
        m.id = base + "-" + std::to_string(n);
    }
    fs::create_directories(catalog);
    fs::path work = catalog / (std::string(".tmp-") + m.id);
    fs::create_directories(work);
    fs::permissions(work, fs::perms::owner_all, fs::perm_options::replace);
    write_manifest(work, m);
    util::rename_durably(work, catalog / m.id);
}

}  // namespace

PgBackRest pgbackrest_for(const core::BackupSettings& settings, db::Session& session) {
    auto dir = data_directory(session);
    return PgBackRest{settings.stanza, settings.pgbackrest_config,
                      cluster_account(dir ? std::optional<fs::path>(*dir) : std::nullopt)};
}

std::optional<std::string> data_directory(db::Session& session) {
    auto allowed = session
                       .exec(
                           "SELECT pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER') "
                           "OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
                       .scalar();
    if (allowed.value_or("f") != "t") {
        return std::nullopt;
    }
    return session.exec("SELECT current_setting('data_directory')").scalar();
}

void require_restore_point_privileges(db::Session& session) {
    auto row = session.exec(
        "SELECT current_user, has_function_privilege('pg_create_restore_point(text)', 'EXECUTE'), "
        "has_function_privilege('pg_switch_wal()', 'EXECUTE'), current_setting('wal_level')");
    const auto& r = row.rows.at(0);
    std::string role = r.at(0).value_or("");
    if (r.at(1) != "t" || r.at(2) != "t") {
        throw Error(ExitCode::backup_failed,
                    "role " + role +
                        " may not create restore points: it is not a superuser and lacks "
                        "EXECUTE on pg_create_restore_point(text) and pg_switch_wal(); nothing "
                        "was applied",
                    "As a superuser run: GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) "
                    "TO " +
                        role + "; GRANT EXECUTE ON FUNCTION pg_switch_wal() TO " + role + ";");
    }
    if (r.at(3) != "replica" && r.at(3) != "logical") {
        throw Error(ExitCode::backup_failed,
                    "wal_level is " + r.at(3).value_or("") +
                        "; a restore point needs replica or logical; nothing was applied",
                    "Set wal_level = replica (and archive_command for pgBackRest) and restart "
                    "the server.");
    }
}

Manifest create_restore_point(const RestorePointRequest& request) {
    db::Session& s = *request.control;
    auto started = Clock::now();
    // 1. The role may do it, and WAL carries enough to replay to a name.
    require_restore_point_privileges(s);

    // 2. pgBackRest: archiving works, and a base backup recent enough.
    PgBackRest p = pgbackrest_for(request.settings, s);
    //    check waits for a WAL segment to be archived: info runs meanwhile.
    std::string info_json;
    util::parallel_for(2, 2, [&](size_t i) {
        if (i == 0) {
            run_pgbackrest(p, "check");
        } else {
            info_json = run_pgbackrest(p, "info", {"--output=json"}).out;
        }
    });
    std::string base = require_recent_base_backup(p, request.settings, info_json, request.quiet);

    // 3. The named point, and a WAL switch so its segment is archived now.
    Manifest m;
    m.kind = BackupKind::restore_point;
    m.label = "restore-point";
    m.run_id = request.run_id.empty() ? core::new_run_id() : request.run_id;
    m.created_by = core::actor();
    m.tool_version = core::tool_version();
    m.started_at = util::format_utc(started, true);
    m.source = read_source_identity(s);
    m.migration_head = db::read_head(s);
    m.archive_format = "pgbackrest";
    std::string name = "safe-migrate-" + m.run_id;
    std::string lsn =
        s.exec_params("SELECT pg_create_restore_point($1)::text", {name}).scalar().value_or("");
    s.exec("SELECT pg_switch_wal()");
    m.restore_point = RestorePointInfo{name, lsn, p.stanza, base};

    // 4. Recorded in the catalog, manifest last.
    auto finished = Clock::now();
    m.finished_at = util::format_utc(finished, true);
    m.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count();
    m.state = BackupState::complete;
    m.id = new_backup_id(finished, "restore-point");
    publish_restore_point(request.settings.dir, m);
    return m;
}

}  // namespace sm::backup
