#include "cli/backup_gate.hpp"

#include "backup/create.hpp"
#include "backup/verify.hpp"
#include "cli/project.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "executor/history.hpp"
#include "util/strings.hpp"

namespace sm::cli {

std::optional<backup::Manifest> backup_gate(const GlobalOptions& options, const ExecuteArgs& args,
                                            const core::Config& config, const core::Target& target,
                                            executor::Session& control, const std::string& run_id) {
    // 1. Is a backup required, and is skipping it explained?
    if (args.backup && args.skip_backup) {
        throw Error(ExitCode::usage, "give --backup or --skip-backup, not both");
    }
    if (args.skip_backup) {
        std::string reason = args.reason ? std::string(util::trim(*args.reason)) : "";
        if (reason.empty()) {
            throw Error(ExitCode::usage, "--skip-backup needs --reason \"...\" (it is recorded)");
        }
        executor::record_event(control, {run_id, "backup.skipped", std::nullopt,
                                         "pre-deploy backup skipped: " + reason});
        core::log_warn("pre-deploy backup skipped: " + reason);
        return std::nullopt;
    }
    if (!args.backup && !config.is_protected()) {
        return std::nullopt;
    }

    // 2. Take it under the lock we already hold, then verify every file.
    backup::CreateRequest request;
    request.kind = backup::BackupKind::pre_deploy;
    request.label = "pre-deploy";
    request.run_id = run_id;
    request.settings = config.backup;
    request.conninfo = target.conninfo;
    request.application_name = config.application_name;
    request.control = &control;
    request.lock_already_held = true;
    request.quiet = options.quiet || options.format == Format::json;
    backup::Manifest m = backup::create_backup(request);
    std::filesystem::path dir = config.backup.dir / m.id;
    backup::VerifyResult verified = backup::verify_backup(dir, m, false, config.backup.pg_bin_dir);
    backup::record_verification(dir, m, verified);
    if (!verified.ok) {
        throw Error(ExitCode::backup_failed, "the pre-deploy backup " + m.id +
                                                 " failed verification; nothing was applied:\n  " +
                                                 util::join(verified.problems, "\n  "));
    }

    // 3. Record it with the run.
    executor::record_event(control, {run_id, "backup.completed", std::nullopt,
                                     "pre-deploy backup " + m.id + " verified"});
    if (options.format == Format::text) {
        say(options,
            "pre-deploy backup " + m.id + " verified (" + util::human_bytes(m.total_bytes) + ")");
    }
    return m;
}

}  // namespace sm::cli
