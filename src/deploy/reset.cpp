#include "deploy/reset.hpp"

#include <memory>

#include "core/identity.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "executor/apply.hpp"
#include "executor/reset_schemas.hpp"
#include "planner/reset_scope.hpp"
#include "seed/protected_target.hpp"
#include "seed/seed_order.hpp"
#include "seed/seed_run.hpp"
#include "seed/seed_source.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::deploy {
namespace {

// How far a reset got once it dropped the schemas.
struct ResetProgress {
    std::vector<std::string> dropped;
    size_t migrations_total = 0;
    size_t migrations_applied = 0;
    const core::Migration* current = nullptr;  // the migration it stopped at; null when seeding
};

std::string dropped_text(const ResetProgress& p) {
    return p.dropped.empty() ? "(none)" : util::join(p.dropped, ", ");
}

std::string where(const ResetProgress& p) {
    return p.current ? "at migration " + p.current->id() : "while seeding";
}

// What a reset that stopped after dropping the schemas says: what it dropped,
// how far it got, what to do.
Error reset_stopped(const ResetProgress& p, ExitCode code, const std::string& what) {
    std::string applied = std::to_string(p.migrations_applied) + " of " +
                          std::to_string(p.migrations_total) + " migration(s)";
    bool interrupted = code == ExitCode::interrupted;
    return Error(code,
                 "reset " + std::string(interrupted ? "interrupted " : "failed ") + where(p) +
                     ", after dropping the schemas (" + dropped_text(p) + ") and re-applying " +
                     applied + ": " + what,
                 "The database is only partly rebuilt: its schemas were dropped, " + applied +
                     " were re-applied, and it stopped " + where(p) + ". " +
                     (interrupted ? std::string("Run reset again.")
                      : p.current ? "Fix the migration and run reset again."
                                  : "Fix the seed and run reset again."));
}

const char* stopped_kind(ExitCode code) {
    return code == ExitCode::interrupted ? "reset.interrupted" : "reset.failed";
}

// One reset (reset.hpp).
class Reset {
  public:
    explicit Reset(const ResetRequest& request)
        : m_r(request),
          m_project(*request.project),
          m_run_id(core::new_run_id()),
          m_actor(core::actor()) {}

    ResetResult run() {
        // 1. Refuse a protected environment; load the seeds and order them, so
        //    that a cycle or a missing dependency stops here, before anything is
        //    dropped.
        refuse_protected_environment(m_project, m_r.environment);
        seed::SeedSet seeds = seed::load_seeds(seed::seeds_dir(m_project.config));
        seed::order_for_environment(seeds, m_r.environment, "Nothing was dropped.");
        planner::ResetScope scope = planner::reset_scope(m_project.up);
        // 2. Connect, refuse a standby, take the migration lock, and refuse a
        //    database recorded as protected, or holding extensions in the
        //    schemas to drop that the migrations would not recreate.
        connect_and_lock();
        executor::refuse_foreign_extensions(*m_control, scope.schemas, scope.extensions);
        say("target: " + m_control->display_name() + " (environment '" + m_r.environment + "')");
        // 3. Drop the project's schemas, recreate public and clear the history,
        //    in one transaction; safe_migrate's events and protected targets stay.
        drop(scope);
        // 4. Re-apply every migration, each as execute applies it, then re-seed
        //    the environment. A failure from here on leaves a partly rebuilt
        //    database: record it and say how far it got.
        rebuild(seeds);
        event("reset.finished", std::nullopt, reset_summary(m_result));
        return m_result;
    }

  private:
    void say(const std::string& line) const {
        if (m_r.progress) {
            m_r.progress(line);
        }
    }

    void event(const std::string& kind, std::optional<core::Version> version,
               const std::string& message) {
        db::record_event(*m_control, {m_run_id, kind, std::move(version), message});
    }

    void connect_and_lock() {
        const auto& conninfo = m_r.target.conninfo;
        const auto& name = m_project.config.application_name;
        m_control = db::connect_as(conninfo, name, "lock");
        m_session = db::connect_as(conninfo, name, "");
        executor::prepare_migration_session(*m_session);
        db::refuse_standby(*m_control);
        m_lock = std::make_unique<db::AdvisoryLock>(*m_control, m_r.lock_wait);
        if (auto match = seed::protected_match(*m_control)) {
            throw Error(ExitCode::refused,
                        "reset refused: the target is recorded as protected (" + *match + ")",
                        "Nothing was changed. safe-migrate ran against this database as a "
                        "protected environment before. Check --database-url and --env.");
        }
    }

    void drop(const planner::ResetScope& scope) {
        db::ensure_history_schema(*m_control);
        std::vector<std::string> owned(scope.schemas.begin(), scope.schemas.end());
        event("reset.started", std::nullopt,
              "environment " + m_r.environment + "; dropping schemas " + util::join(owned, ", ") +
                  "; clearing history and seeds");
        m_progress.migrations_total = m_project.migrations.migrations.size();
        try {
            m_progress.dropped = executor::drop_schemas(*m_control, scope.schemas);
        } catch (const Error& e) {
            event(stopped_kind(e.code()), std::nullopt,
                  std::string(e.what()) + "; nothing was dropped");
            throw;
        }
        m_result.dropped_schemas = m_progress.dropped;
        say("dropped schemas: " + dropped_text(m_progress));
        event("reset.dropped", std::nullopt,
              "schemas dropped: " + dropped_text(m_progress) +
                  "; history, progress and seeds cleared");
    }

    void rebuild(const seed::SeedSet& seeds) {
        try {
            apply_all();
            m_progress.current = nullptr;
            seed::SeedContext seeding{*m_session,
                                      *m_control,
                                      m_run_id,
                                      m_actor,
                                      m_project.config.execute,
                                      m_r.environment,
                                      false,
                                      m_r.scale.value_or(m_project.config.seed.scale),
                                      m_r.progress};
            m_result.seeds_run = seed::run_seeds(seeding, seeds);
        } catch (const std::exception& e) {
            const auto* error = dynamic_cast<const Error*>(&e);
            ExitCode code = error ? error->code() : ExitCode::failure;
            const core::Migration* at = m_progress.current;
            event(stopped_kind(code), at ? std::optional<core::Version>(at->version) : std::nullopt,
                  "stopped " + where(m_progress) + " after dropping schemas " +
                      dropped_text(m_progress) + " and re-applying " +
                      std::to_string(m_progress.migrations_applied) + " of " +
                      std::to_string(m_progress.migrations_total) + " migration(s)");
            throw reset_stopped(m_progress, code, util::redact_text(e.what()));
        }
    }

    void apply_all() {
        executor::RunContext ctx{*m_session, *m_control, m_run_id, m_actor,
                                 m_project.config.execute};
        for (const auto& m : m_project.migrations.migrations) {
            m_progress.current = &m;
            if (util::interrupted()) {
                throw Error(ExitCode::interrupted, "interrupted before applying " + m.id());
            }
            say("applying " + m.id());
            auto took = executor::apply_migration(ctx, m, m_project.up.at(m.version), std::nullopt);
            m_result.migrations_applied = ++m_progress.migrations_applied;
            say("  done in " + util::format_duration(took));
        }
    }

    const ResetRequest& m_r;
    const planner::Project& m_project;
    std::string m_run_id;
    std::string m_actor;
    std::unique_ptr<db::Session> m_control;  // holds the lock; drops; writes events
    std::unique_ptr<db::Session> m_session;  // runs the migrations and the seeds
    std::unique_ptr<db::AdvisoryLock> m_lock;
    ResetProgress m_progress;
    ResetResult m_result;
};

}  // namespace

std::string reset_summary(const ResetResult& result) {
    return std::to_string(result.migrations_applied) + " migration(s) applied, " +
           std::to_string(result.seeds_run) + " seed(s) run";
}

void refuse_protected_environment(const planner::Project& project, const std::string& environment) {
    if (project.config.is_protected()) {
        throw Error(ExitCode::refused,
                    "environment '" + environment + "' is protected: reset never runs there",
                    "Nothing was changed.");
    }
}

ResetResult reset(const ResetRequest& request) {
    util::InterruptGuard interrupts;
    return Reset(request).run();
}

}  // namespace sm::deploy
