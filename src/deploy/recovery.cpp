#include "deploy/recovery.hpp"

#include "backup/remote_catalog.hpp"
#include "backup/restore.hpp"
#include "core/log.hpp"
#include "db/history.hpp"
#include "deploy/restore.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

constexpr const char* k_runbook = "runbooks/failed-deployment.md";

struct Undo {
    const core::Migration* migration = nullptr;
    bool partial = false;  // a no-transaction migration that stopped midway
};

// Tells the person at the terminal (stderr, so --format json stays clean).
void tell(const Request& request, const std::string& line) {
    if (!request.quiet) {
        core::log_warn(line);
    }
}

std::optional<core::Version> head_of(db::Session& control) {
    auto applied = db::read_applied(control);
    if (applied.empty()) {
        return std::nullopt;
    }
    return applied.back().version;
}

std::string version_text(std::optional<core::Version> v) {
    return v ? v->text() : "empty (no migrations)";
}

// What to undo, newest first: the failed no-transaction migration's completed
// statements, then the migrations this run applied.
std::vector<Undo> undo_list(db::Session& control, const FailedRun& run) {
    std::vector<Undo> undo;
    if (run.failed != nullptr) {
        for (const auto& p : db::read_partial(control)) {
            if (p.version == run.failed->version && p.statements_done > 0) {
                undo.push_back({run.failed, true});
            }
        }
    }
    const std::vector<const core::Migration*> newest_first(run.applied.rbegin(),
                                                           run.applied.rend());
    for (const core::Migration* m : newest_first) {
        undo.push_back({m, false});
    }
    return undo;
}

class Recoverer {
  public:
    Recoverer(const Request& request, executor::RunContext& ctx, const FailedRun& run,
              std::unique_ptr<db::Session>& migration_session,
              std::unique_ptr<db::Session>& control_after)
        : m_request(request),
          m_project(*request.project),
          m_ctx(ctx),
          m_run(run),
          m_migration_session(migration_session),
          m_control_after(control_after) {
        m_result.rollback.failed_migration = run.failed != nullptr ? run.failed->id() : "";
        m_result.rollback.means = "none";
        m_result.head = run.applied.empty() ? run.start_head : run.applied.back()->version;
    }

    Recovery run() {
        core::FailurePolicy policy = m_ctx.settings.on_failure;
        std::vector<Undo> undo = undo_list(m_ctx.control, m_run);
        if (undo.empty()) {
            m_result.rollback.complete = true;
            m_result.summary = "nothing of this run is applied; the database is at version " +
                               version_text(m_run.start_head);
            return m_result;
        }
        if (policy == core::FailurePolicy::stop) {
            return manual("on_failure = stop: " + applied_text(undo) +
                          " stay applied; the database is at version " +
                          version_text(m_result.head));
        }
        if (policy == core::FailurePolicy::restore) {
            return restore("on_failure = restore", &undo);
        }
        return roll_back(undo);
    }

  private:
    std::string applied_text(const std::vector<Undo>& undo) const {
        std::vector<std::string> ids;
        ids.reserve(undo.size());
        for (const auto& u : undo) {
            ids.push_back(u.migration->id() + (u.partial ? " (partly applied)" : ""));
        }
        return util::join(ids, ", ");
    }

    // A restore that could not run is not tried twice in one recovery.
    bool can_restore() const { return m_run.pre_deploy.has_value() && !m_restore_failed; }

    std::string no_restore_text() const {
        return m_restore_failed ? " and the restore could not run"
                                : " and no pre-deploy backup was taken";
    }

    Recovery manual(const std::string& what) {
        m_result.rollback.complete = false;
        m_result.rollback.manual_action =
            what + ". Bring the database back by hand: see " + std::string(k_runbook) + ".";
        m_result.summary = m_result.rollback.manual_action;
        db::record_event(m_ctx.control, {m_ctx.run_id, "rollback.incomplete", std::nullopt,
                                         m_result.rollback.manual_action});
        return m_result;
    }

    Recovery roll_back(const std::vector<Undo>& undo) {
        // 1. Every down file must be there before any runs; else restore or stop.
        std::vector<std::string> missing;
        std::vector<std::string> broken;
        for (const auto& u : undo) {
            if (m_project.broken_down.count(u.migration->version) != 0) {
                broken.push_back(u.migration->id());
            } else if (m_project.down.count(u.migration->version) == 0) {
                missing.push_back(u.migration->id());
            }
        }
        if (!missing.empty() || !broken.empty()) {
            std::vector<std::string> reasons;
            if (!missing.empty()) {
                reasons.push_back("no down file for " + util::join(missing, ", "));
            }
            if (!broken.empty()) {
                reasons.push_back("the down file of " + util::join(broken, ", ") +
                                  " does not parse");
            }
            std::string why = util::join(reasons, "; ");
            if (can_restore() && m_ctx.settings.restore_fallback) {
                return restore(why);
            }
            return manual("not rolled back: " + why +
                          (can_restore() ? " and restore_fallback is off" : no_restore_text()) +
                          "; " + applied_text(undo) + " stay applied");
        }

        // 2. Run them newest first, each recorded like `rollback` does.
        db::record_event(
            m_ctx.control,
            {m_ctx.run_id, "rollback.started", std::nullopt,
             "automatic rollback of " + std::to_string(undo.size()) + " migration(s) after " +
                 (m_result.rollback.failed_migration.empty()
                      ? "the run stopped: " + m_run.error
                      : m_result.rollback.failed_migration + " failed")});
        m_result.rollback.means = "down files";
        for (const auto& u : undo) {
            tell(m_request, "rolling back " + u.migration->id() + " with its down file");
            try {
                executor::revert_migration(m_ctx, *u.migration,
                                           m_project.down.at(u.migration->version));
                if (u.partial) {
                    db::delete_progress(m_ctx.control, u.migration->version);
                }
            } catch (const Error& e) {
                std::string why = "the down file of " + u.migration->id() +
                                  " failed: " + util::redact_text(e.what());
                db::record_event(m_ctx.control,
                                 {m_ctx.run_id, "rollback.failed", u.migration->version, why});
                m_result.head = head_of_or(m_result.head);
                if (can_restore() && m_ctx.settings.restore_fallback &&
                    e.code() != ExitCode::db_unreachable && e.code() != ExitCode::interrupted) {
                    return restore(why);
                }
                return manual("rollback stopped: " + why + "; undone so far: " +
                              (m_result.rollback.undone.empty()
                                   ? "nothing"
                                   : util::join(m_result.rollback.undone, ", ")) +
                              "; the database is at version " + version_text(m_result.head));
            }
            m_result.rollback.undone.push_back(u.migration->id());
        }
        m_result.head = head_of_or(m_run.start_head);
        m_result.rollback.complete = m_result.head == m_run.start_head;
        db::record_event(
            m_ctx.control,
            {m_ctx.run_id, "rollback.finished", std::nullopt,
             "rolled back " + util::join(m_result.rollback.undone, ", ") +
                 " by down files; the database is at version " + version_text(m_result.head)});
        m_result.summary =
            "rolled back by down files: " + util::join(m_result.rollback.undone, ", ") +
            "; the database is at version " + version_text(m_result.head);
        return m_result;
    }

    // The head as the history says, or fallback when it cannot be read.
    std::optional<core::Version> head_of_or(std::optional<core::Version> fallback) {
        try {
            return head_of(m_ctx.control);
        } catch (const std::exception&) {
            return fallback;
        }
    }

    // Restores the pre-deploy backup. When it cannot run (no backup, sessions
    // still connected, pg_restore failed before the swap) and down_files is
    // given, the target is untouched and the down files undo the run instead.
    Recovery restore(const std::string& why, const std::vector<Undo>* down_files = nullptr) {
        if (!can_restore()) {
            if (down_files != nullptr) {
                m_restore_failed = true;
                return fall_back(*down_files, "no pre-deploy backup was taken in this run");
            }
            return manual(why + ": no pre-deploy backup was taken in this run (use --backup)");
        }
        const backup::Manifest& m = *m_run.pre_deploy;
        if (m.kind == backup::BackupKind::restore_point) {
            // A rewind of the whole cluster is a DBA's decision, never automatic.
            std::string reason = "the pre-deploy safety point " + m.id +
                                 " is a pgBackRest restore point, which rewinds the whole "
                                 "cluster and is never restored automatically";
            m_restore_failed = true;
            if (down_files != nullptr) {
                return fall_back(*down_files, reason);
            }
            return manual(why + "; " + reason + " (see runbooks/pgbackrest-pitr.md: " +
                          "safe-migrate restore --id " + m.id + ")");
        }
        tell(m_request, why + "; restoring the pre-deploy backup " + m.id);
        db::record_event(m_ctx.control, {m_ctx.run_id, "restore.started", std::nullopt,
                                         why + "; restoring pre-deploy backup " + m.id});
        // The team hears of it as of any restore (restore.*).
        std::optional<RestoreEvents> events;
        if (m_run.notifier != nullptr) {
            events.emplace(*m_run.notifier, m_run.target, head_of_or(m_result.head), m);
            events->send("restore.started", "started");
        }
        backup::RestoreResult restored;
        try {
            restored = m_request.io.restore_backup(restore_request(m));
        } catch (const Error& e) {
            db::record_event(m_ctx.control,
                             {m_ctx.run_id, "restore.failed", std::nullopt, e.what()});
            if (events) {
                events->failed(e);
            }
            m_restore_failed = true;
            std::string reason = one_line(util::redact_text(e.what()));
            if (down_files != nullptr && e.code() != ExitCode::interrupted && sessions_alive()) {
                return fall_back(*down_files, "restoring the pre-deploy backup " + m.id +
                                                  " could not run (" + reason + ")");
            }
            m_result.head = head_of_or(m_result.head);
            return manual(why + "; restoring the pre-deploy backup " + m.id + " failed: " + reason +
                          "; the database is at version " + version_text(m_result.head) +
                          " (see runbooks/restore.md: safe-migrate restore --id " + m.id + ")");
        }
        if (events) {
            events->send("restore.completed", "completed", restored.took);
        }
        // The swap ended our sessions.
        m_migration_session.reset();
        return restored_outcome(m, restored);
    }

    // The restore could not run and left the target as the failed run left it:
    // the down files undo the run, and every message says so first.
    Recovery fall_back(const std::vector<Undo>& undo, const std::string& reason) {
        std::string prefix = reason +
                             "; nothing was restored and the database was left as the failed run "
                             "left it; falling back to the down files: ";
        tell(m_request, prefix.substr(0, prefix.size() - 2));
        Recovery r = roll_back(undo);
        r.summary = prefix + r.summary;
        if (!r.rollback.manual_action.empty()) {
            r.rollback.manual_action = prefix + r.rollback.manual_action;
        }
        m_result = r;
        return r;
    }

    bool sessions_alive() {
        try {
            m_ctx.control.exec("SELECT 1");
            m_ctx.migration.exec("SELECT 1");
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }

    // The error on one line: a list of sessions joined by spaces.
    static std::string one_line(std::string text) {
        for (auto at = text.find("\n  "); at != std::string::npos; at = text.find("\n  ")) {
            text.replace(at, 3, " ");
        }
        return text;
    }

    backup::RestoreRequest restore_request(const backup::Manifest& m) {
        backup::RestoreRequest request;
        request.backup_dir = backup::local_backup_dir(m_project.config.backup, m.id);
        request.manifest = m;
        request.mode = backup::RestoreMode::swap;
        request.conninfo = m_request.target.conninfo;
        request.application_name = m_project.config.application_name;
        request.settings = m_project.config.backup;
        request.control = &m_ctx.control;
        // Our own migration session is no other client; the swap ends it with the control.
        request.own_sessions = {m_ctx.migration.backend_pid()};
        request.lock_wait = m_ctx.settings.lock_wait;
        request.session_wait = m_project.config.restore.session_wait;
        request.force = m_ctx.settings.restore_terminates_sessions;
        request.safety_backup = false;  // the failed database is kept beside it
        request.quiet = m_request.quiet_tools;
        return request;
    }

    Recovery restored_outcome(const backup::Manifest& m, const backup::RestoreResult& restored) {
        m_result.restored = true;
        m_result.rollback.means = "backup restore";
        m_result.rollback.undone.clear();
        const std::vector<const core::Migration*> newest_first(m_run.applied.rbegin(),
                                                               m_run.applied.rend());
        for (const core::Migration* m : newest_first) {
            m_result.rollback.undone.push_back(m->id());
        }
        if (m_run.failed != nullptr && !m_project.up.at(m_run.failed->version).transactional) {
            m_result.rollback.undone.insert(m_result.rollback.undone.begin(), m_run.failed->id());
        }
        m_result.head = m.migration_head;
        m_result.rollback.complete = m.migration_head == m_run.start_head;
        m_result.summary = "restored the pre-deploy backup " + m.id +
                           " (the database is at version " + version_text(m.migration_head) +
                           "; the failed database is kept as " + restored.previous_database + ")";
        // The swap ended our sessions; the run's events were carried into the
        // restored database, and the outcome is recorded on a new session.
        try {
            m_control_after = m_request.io.connect("lock");
            db::record_event(*m_control_after, {m_ctx.run_id, "restore.completed", std::nullopt,
                                                "run " + m_ctx.run_id + " failed (" + m_run.error +
                                                    "); " + m_result.summary});
            m_result.head = head_of(*m_control_after);
            m_result.rollback.complete = m_result.head == m_run.start_head;
        } catch (const std::exception& e) {
            core::log_warn("could not record the restore in the history: " +
                           util::redact_text(e.what()));
        }
        return m_result;
    }

    const Request& m_request;
    const planner::Project& m_project;
    executor::RunContext& m_ctx;
    const FailedRun& m_run;
    std::unique_ptr<db::Session>& m_migration_session;
    std::unique_ptr<db::Session>& m_control_after;
    Recovery m_result;
    bool m_restore_failed = false;
};

}  // namespace

Recovery recover_failed_run(const Request& request, executor::RunContext& ctx, const FailedRun& run,
                            std::unique_ptr<db::Session>& migration_session,
                            std::unique_ptr<db::Session>& control_after) {
    try {
        return Recoverer(request, ctx, run, migration_session, control_after).run();
    } catch (const std::exception& e) {
        Recovery r;
        r.rollback.failed_migration = run.failed != nullptr ? run.failed->id() : "";
        r.rollback.means = "none";
        r.rollback.manual_action =
            "the automatic rollback could not run: " + util::redact_text(e.what()) + ". See " +
            k_runbook + ".";
        r.summary = r.rollback.manual_action;
        return r;
    }
}

bool tell_rolled_back(DeployEvents& events, const Recovery& recovery, const notify::Event& failed,
                      core::FailurePolicy policy) {
    bool undid = recovery.rollback.means != "none";
    bool stuck = !recovery.rollback.manual_action.empty() && policy != core::FailurePolicy::stop;
    if (undid || stuck) {
        notify::Event rolled =
            events.make("deploy.rolled_back",
                        recovery.rollback.complete ? "rolled_back" : "rollback_incomplete");
        rolled.version_to = recovery.head;
        rolled.error = failed.error;
        rolled.rollback = recovery.rollback;
        rolled.runbook = failed.runbook;
        events.send(rolled);
    }
    return undid;
}

}  // namespace sm::deploy
