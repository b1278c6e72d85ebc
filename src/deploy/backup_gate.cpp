#include "deploy/backup_gate.hpp"

#include "backup/remote_catalog.hpp"
#include "core/log.hpp"
#include "db/history.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::deploy {

bool backup_required(const BackupPolicy& policy, const core::Config& config) {
    return policy.choice == BackupChoice::always ||
           (policy.choice == BackupChoice::when_protected && config.is_protected());
}

std::optional<backup::Manifest> backup_gate(const Request& request, db::Session& control,
                                            const std::string& run_id, Reporter& reporter) {
    const core::Config& config = request.project->config;
    // 1. Is a backup required? A skip is recorded with its reason.
    if (request.backup.choice == BackupChoice::skip) {
        db::record_event(control, {run_id, "backup.skipped", std::nullopt,
                                   "pre-deploy backup skipped: " + request.backup.skip_reason});
        core::log_warn("pre-deploy backup skipped: " + request.backup.skip_reason);
        return std::nullopt;
    }
    if (!backup_required(request.backup, config)) {
        return std::nullopt;
    }

    // 2. With pgBackRest, a restore point instead of a dump (its checks
    //    refuse with exit 7 before anything is applied).
    if (config.backup.engine == "pgbackrest") {
        backup::Manifest m =
            request.io.take_restore_point({run_id, config.backup, &control, request.quiet_tools});
        db::record_event(control, {run_id, "backup.completed", std::nullopt,
                                   "restore point " + m.restore_point->name + " at " +
                                       m.restore_point->lsn + " (" + m.id + ")"});
        reporter.backup_verified(m);
        return m;
    }

    // 2. Take it under the lock we already hold, then verify every file.
    backup::CreateRequest create;
    create.kind = backup::BackupKind::pre_deploy;
    create.label = "pre-deploy";
    create.run_id = run_id;
    create.settings = config.backup;
    create.conninfo = request.target.conninfo;
    create.application_name = config.application_name;
    create.control = &control;
    create.lock_already_held = true;
    create.quiet = request.quiet_tools;
    backup::Manifest m = request.io.take_backup(create);
    std::vector<std::string> problems =
        request.io.verify_backup(backup::local_backup_dir(config.backup, m.id), m);
    if (!problems.empty()) {
        throw Error(ExitCode::backup_failed, "the pre-deploy backup " + m.id +
                                                 " failed verification; nothing was applied:\n  " +
                                                 util::join(problems, "\n  "));
    }

    // 3. Record it with the run.
    db::record_event(control, {run_id, "backup.completed", std::nullopt,
                               "pre-deploy backup " + m.id + " verified"});
    reporter.backup_verified(m);
    return m;
}

}  // namespace sm::deploy
