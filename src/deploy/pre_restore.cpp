#include "deploy/pre_restore.hpp"

#include "backup/restore.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

// The target's database name, and a session beside it to look and drop from.
std::pair<std::string, std::unique_ptr<db::Session>> open_server(const core::Target& target,
                                                                 const core::Config& config) {
    auto maintenance =
        backup::maintenance_session(target.conninfo, config.application_name + "/prune");
    std::string shown = core::redacted_conninfo(target.conninfo);
    std::string name = shown.substr(shown.rfind('/') + 1);
    if (name.empty()) {
        name = db::connect_as(target.conninfo, config.application_name, "prune")
                   ->exec("SELECT current_database()")
                   .scalar()
                   .value_or("");
    }
    return {name, std::move(maintenance)};
}

}  // namespace

PreRestoreListing list_pre_restore(const core::Target& target, const core::Config& config) {
    auto [name, session] = open_server(target, config);
    return {name, backup::list_pre_restore(*session, name)};
}

PreRestoreShown show_pre_restore(const core::Target& target, const core::Config& config) {
    PreRestoreShown shown;
    if (target.source == core::TargetSource::libpq_defaults) {
        return shown;
    }
    shown.looked = true;
    try {
        shown.databases = list_pre_restore(target, config).databases;
    } catch (const Error& e) {
        shown.error = e.what();
    }
    return shown;
}

std::string pre_restore_age(const backup::PreRestoreDatabase& d) {
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now() - d.kept_at.value_or(std::chrono::system_clock::now()));
    return util::format_duration(std::chrono::duration_cast<std::chrono::minutes>(age));
}

PreRestorePruneResult prune_pre_restore(const PreRestorePruneRequest& request) {
    auto [name, session] = open_server(request.target, request.config);
    PreRestorePruneResult result;
    result.database = name;
    if (request.all && request.confirm != name) {
        throw Error(ExitCode::refused,
                    "backup prune --pre-restore drops every " + name + "_pre_restore_* database" +
                        (request.confirm
                             ? "; --confirm names '" + *request.confirm + "', not '" + name + "'"
                             : " and needs --confirm " + name),
                    "Nothing was dropped. Re-run with --confirm " + name + ".");
    }
    result.decisions = backup::decide_pre_restore(backup::list_pre_restore(*session, name),
                                                  request.config.backup.keep_pre_restore,
                                                  request.all, std::chrono::system_clock::now());
    std::vector<std::string> failed;
    for (const auto& d : result.decisions) {
        if (!d.drop || request.dry_run) {
            continue;
        }
        try {
            backup::drop_database(*session, d.name);
            result.dropped.push_back(d.name);
        } catch (const std::exception& e) {
            failed.push_back(d.name + ": " + util::redact_text(e.what()));
        }
    }
    if (!failed.empty()) {
        throw Error(ExitCode::failure,
                    "could not drop " + std::to_string(failed.size()) +
                        " pre-restore database(s):\n  " + util::join(failed, "\n  "),
                    "Disconnect the sessions using them, then run backup prune again.");
    }
    return result;
}

}  // namespace sm::deploy
