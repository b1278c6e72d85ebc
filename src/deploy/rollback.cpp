#include "deploy/rollback.hpp"

#include <algorithm>
#include <vector>

#include "core/identity.hpp"
#include "core/layout.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "deploy/backup_gate.hpp"
#include "executor/apply.hpp"
#include "notify/notifier.hpp"
#include "planner/dependencies.hpp"
#include "planner/linter.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

// The applied migrations to revert, newest first.
std::vector<db::AppliedMigration> choose(const std::vector<db::AppliedMigration>& applied,
                                         const RollbackRequest& request) {
    std::vector<db::AppliedMigration> chosen;
    if (request.only) {
        for (const auto& a : applied) {
            if (a.version == *request.only) {
                return {a};
            }
        }
        throw Error(
            ExitCode::invalid_input,
            "--only " + core::to_string(*request.only) + ": no applied migration has this version",
            "Run 'safe-migrate status' to list the applied versions.");
    }
    if (request.to) {
        for (auto it = applied.rbegin(); it != applied.rend() && it->version > *request.to; ++it) {
            chosen.push_back(*it);
        }
        return chosen;
    }
    for (auto it = applied.rbegin();
         it != applied.rend() && static_cast<int>(chosen.size()) < request.steps; ++it) {
        chosen.push_back(*it);
    }
    return chosen;
}

// chosen (newest first) reordered so that a migration is reverted after the
// chosen ones that require it (requires=), newest first otherwise.
std::vector<db::AppliedMigration> requirers_first(const planner::Dependencies& dependencies,
                                                  std::vector<db::AppliedMigration> chosen) {
    std::vector<db::AppliedMigration> out;
    while (!chosen.empty()) {
        auto needed = [&](const db::AppliedMigration& c) {
            return std::any_of(chosen.begin(), chosen.end(), [&](const auto& other) {
                const auto& required = dependencies.required_by(other.version);
                return std::find(required.begin(), required.end(), c.version) != required.end();
            });
        };
        auto next = std::find_if_not(chosen.begin(), chosen.end(), needed);
        if (next == chosen.end()) {
            next = chosen.begin();  // a cycle cannot load; keep the order
        }
        out.push_back(*next);
        chosen.erase(next);
    }
    return out;
}

// Refuses before anything runs when a chosen migration has no down file, or
// one that does not parse (down files are checked when a rollback needs them).
void require_down_files(const planner::Project& project,
                        const std::vector<db::AppliedMigration>& chosen) {
    std::vector<std::string> missing;
    std::vector<std::string> broken;
    core::Layout layout = project.config.layout.value_or(core::Layout::native);
    for (const auto& a : chosen) {
        const core::Migration* m = project.migrations.find(a.version);
        if (m == nullptr) {
            missing.push_back("down file missing: " +
                              (project.config.migrations_dir /
                               (core::to_string(a.version) + "_" + a.name + ".down.sql"))
                                  .string());
        } else if (!m->down) {
            missing.push_back(core::missing_down(layout, *m));
        } else if (auto it = project.broken_down.find(a.version); it != project.broken_down.end()) {
            for (const auto& p : it->second) {
                broken.push_back(p.describe());
            }
        }
    }
    std::string list;
    for (const auto& f : missing) {
        list += "\n  " + f;
    }
    for (const auto& p : broken) {
        list += "\n  down file does not parse: " + p;
    }
    if (!list.empty()) {
        throw Error(ExitCode::invalid_input, "cannot roll back:" + list,
                    layout == core::Layout::prisma
                        ? "Nothing was rolled back. Undo the change with a new migration, or "
                          "restore a backup."
                        : "Nothing was rolled back. Fix or write the down file, or restore a "
                          "backup.");
    }
}

// What keeps the chosen migrations from being reverted: an applied migration
// that stays (or is reverted after them) requires one; with --only, a later
// applied migration touches a relation it created. One line each.
std::vector<std::string> rollback_blockers(const planner::Project& project,
                                           const std::vector<db::AppliedMigration>& applied,
                                           const std::vector<db::AppliedMigration>& chosen,
                                           bool only) {
    std::vector<std::string> out;
    auto id = [](const db::AppliedMigration& a) {
        return core::to_string(a.version) + "_" + a.name;
    };
    for (auto c = chosen.begin(); c != chosen.end(); ++c) {
        for (const auto& r : project.dependencies.requirers_of(c->version)) {
            bool reverted_first =
                std::any_of(chosen.begin(), c, [&](const auto& x) { return x.version == r; });
            for (const auto& a : applied) {
                if (a.version == r && !reverted_first) {
                    out.push_back(id(*c) + " is required by applied migration " + id(a));
                }
            }
        }
    }
    if (!only || chosen.empty()) {
        return out;
    }
    const db::AppliedMigration& v = chosen.front();
    auto created = planner::created_relations(project.migrations.find(v.version)->up);
    for (const auto& a : applied) {
        const core::Migration* m = project.migrations.find(a.version);
        bool later = a.version > v.version || a.applied_at > v.applied_at;
        if (m == nullptr || a.version == v.version || !later || created.empty()) {
            continue;
        }
        auto touched = planner::touched_relations(m->up, project.up.at(a.version), created);
        if (!touched.empty()) {
            out.push_back("applied migration " + id(a) + " uses " + util::join(touched, ", ") +
                          ", created by " + id(v));
        }
    }
    return out;
}

// Refuses (policy) when rollback_blockers finds any; nothing was reverted.
void refuse_blocked_rollback(const std::vector<std::string>& blockers) {
    if (blockers.empty()) {
        return;
    }
    std::string message = "rollback refused:";
    for (const auto& b : blockers) {
        message += "\n  " + b;
    }
    throw Error(ExitCode::policy, message,
                "Nothing was rolled back. Revert the migrations that depend on it first.");
}

// On a protected environment, refuses unless --confirm names the target's
// database (as restore does).
void require_confirmation(const RollbackRequest& request, db::Session& control) {
    const core::Config& config = request.project->config;
    if (!config.is_protected()) {
        return;
    }
    std::string database = db::read_identity(control).database;
    if (request.confirm == database) {
        return;
    }
    throw Error(ExitCode::refused,
                "rollback refused: environment " + config.environment.value_or("") +
                    " is protected" +
                    (request.confirm
                         ? " and --confirm names '" + *request.confirm + "', not '" + database + "'"
                         : ""),
                "Nothing was changed. Re-run with --confirm " + database +
                    " to roll back (a verified backup is taken first).");
}

// The lint findings of the chosen down files under the default policy, shown
// and never blocking: a down file is destructive by design, and the operator
// asked for it.
void show_down_findings(const planner::Project& project,
                        const std::vector<db::AppliedMigration>& chosen,
                        const RollbackProgress& progress) {
    if (!progress.finding) {
        return;
    }
    planner::Policy policy = planner::load_policy(std::nullopt);
    for (const auto& a : chosen) {
        const core::Migration& m = *project.migrations.find(a.version);
        for (const auto& f : planner::lint_file(planner::LintInput(*m.down), policy).findings) {
            if (f.suppressed_by || f.severity == planner::Severity::off) {
                continue;
            }
            progress.finding(std::string(planner::severity_name(f.severity)) + "[" +
                             std::string(f.rule) + "] " + f.file.string() + ":" +
                             std::to_string(f.line) + ": " + f.message);
        }
    }
}

// The backup gate wants a Reporter; a rollback only hears of the backup.
class BackupReporter final : public Reporter {
  public:
    explicit BackupReporter(const RollbackProgress& progress) : m_progress(progress) {}
    void target(const std::string&, core::TargetSource) override {}
    void policy_blocked(const planner::Plan&) override {}
    void policy_overridden(const planner::Plan&, const PolicyOverridden&) override {}
    void backup_verified(const backup::Manifest& m) override {
        if (m_progress.backup_verified) {
            m_progress.backup_verified(m);
        }
    }
    void applying(const std::string&, bool) override {}
    void applied(const std::string&, std::chrono::milliseconds) override {}
    void finished(const Result&) override {}
    void dry_run(const DryRunReport&) override {}

  private:
    const RollbackProgress& m_progress;
};

// The pre-change backup, as execute takes it (deploy/backup_gate.hpp): on a
// protected environment, verified before anything is reverted.
std::optional<backup::Manifest> pre_change_backup(const RollbackRequest& request,
                                                  db::Session& control, const std::string& run_id,
                                                  const RollbackProgress& progress) {
    Request gate;
    gate.project = request.project;
    gate.target = request.target;
    gate.settings = request.settings;
    gate.quiet_tools = request.quiet_tools;
    gate.io = request.io;
    BackupReporter reporter(progress);
    return backup_gate(gate, control, run_id, reporter);
}

// Reverts chosen newest first, each in its own transaction, and records the
// run. Returns how many were reverted.
size_t revert_all(executor::RunContext& ctx, const planner::Project& project,
                  const std::vector<db::AppliedMigration>& chosen,
                  const RollbackProgress& progress) {
    db::record_event(ctx.control, {ctx.run_id, "rollback.started", std::nullopt,
                                   std::to_string(chosen.size()) + " migration(s) to revert"});
    size_t done = 0;
    try {
        for (const auto& a : chosen) {
            const core::Migration& m = *project.migrations.find(a.version);
            if (progress.reverting) {
                progress.reverting(m.id());
            }
            auto took = executor::revert_migration(ctx, m, project.down.at(m.version));
            ++done;
            if (progress.reverted) {
                progress.reverted(m.id(), took);
            }
        }
    } catch (const Error&) {
        db::record_event(ctx.control,
                         {ctx.run_id, "rollback.failed", std::nullopt,
                          std::to_string(done) + " of " + std::to_string(chosen.size()) +
                              " migration(s) reverted before it stopped"});
        throw;
    }
    db::record_event(ctx.control, {ctx.run_id, "rollback.finished", std::nullopt,
                                   std::to_string(done) + " migration(s) reverted"});
    return done;
}

// deploy.rolled_back: from the newest reverted version to the head now.
void notify_rolled_back(notify::Notifier& notifier, executor::RunContext& ctx,
                        const std::vector<db::AppliedMigration>& chosen,
                        const std::optional<backup::Manifest>& backup) {
    notify::Event e = notifier.event("deploy.rolled_back", "rolled_back");
    if (backup) {
        e.backup = notify::EventBackup{backup->id, backup->total_bytes, true};
    }
    e.target = notify::event_target(db::read_identity(ctx.control));
    e.version_from =
        std::max_element(chosen.begin(), chosen.end(), [](const auto& a, const auto& b) {
            return a.version < b.version;
        })->version;
    auto remaining = db::read_applied(ctx.control);
    if (!remaining.empty()) {
        e.version_to = remaining.back().version;
    }
    for (const auto& a : chosen) {
        e.migrations.push_back(core::to_string(a.version) + "_" + a.name);
    }
    notifier.send(e);
}

}  // namespace

RollbackResult rollback(const RollbackRequest& request, const RollbackProgress& progress) {
    const planner::Project& project = *request.project;

    // 0. Read the notify section: a bad endpoint stops the rollback here,
    //    before anything is reverted.
    std::string run_id = core::new_run_id();
    notify::Notifier notifier(project.config, run_id, request.io.http());

    // 1. Connect, refuse a standby, take the migration lock.
    auto control = request.io.connect("lock");
    auto migration = request.io.connect("");
    executor::prepare_migration_session(*migration);
    db::refuse_standby(*control);
    db::AdvisoryLock lock(*control, request.settings.lock_wait);
    executor::RunContext ctx{*migration, *control, run_id, core::actor(), request.settings};

    // 2. Choose what to revert, and refuse up front when a down file is
    //    missing, or the environment is protected and the operator did not
    //    name the database.
    auto applied = db::read_applied(*control);
    auto chosen = requirers_first(project.dependencies, choose(applied, request));
    require_down_files(project, chosen);
    refuse_blocked_rollback(rollback_blockers(project, applied, chosen, request.only.has_value()));
    RollbackResult result;
    result.chosen = chosen.size();
    std::optional<backup::Manifest> backup;
    if (!chosen.empty()) {
        require_confirmation(request, *control);

        // 3. Show what the down files do; take the pre-change backup.
        show_down_findings(project, chosen, progress);
        backup = pre_change_backup(request, *control, run_id, progress);
    }

    // 4. Revert newest first, each in its own transaction; record the run;
    //    tell the team what was reverted, or that a down file failed.
    try {
        result.reverted = revert_all(ctx, project, chosen, progress);
    } catch (const Error& e) {
        notify::Event failed = notifier.event("deploy.failed", "failed");
        failed.target = notify::event_target(db::read_identity(*control));
        failed.error = notify::event_error(e.code(), e.what());
        notifier.send(failed);
        throw;
    }
    if (result.reverted > 0) {
        notify_rolled_back(notifier, ctx, chosen, backup);
    }
    return result;
}

}  // namespace sm::deploy
