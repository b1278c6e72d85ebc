#include "deploy/seed.hpp"

#include "core/identity.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "executor/apply.hpp"
#include "seed/protected_target.hpp"
#include "seed/seed_history.hpp"
#include "seed/seed_order.hpp"
#include "seed/seed_run.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace sm::deploy {
namespace {

std::unique_ptr<db::Session> open(const SeedRequest& request, const std::string& role) {
    return db::connect_as(request.target.conninfo, request.config->application_name, role);
}

// With the lock held: runs the action in ctx.
int act(const SeedRequest& request, seed::SeedContext& ctx, const seed::SeedSet& set) {
    switch (request.action) {
        case SeedAction::run:
            return seed::run_seeds(ctx, set);
        case SeedAction::rollback:
            seed::rollback_seed(ctx, set, request.id);
            return 1;
        case SeedAction::clear:
            return seed::clear_seeds(ctx, set);
    }
    return 0;
}

}  // namespace

const char* seed_action_name(SeedAction action) {
    switch (action) {
        case SeedAction::run:
            return "run";
        case SeedAction::rollback:
            return "rollback";
        case SeedAction::clear:
            return "clear";
    }
    return "unknown";
}

int change_seeds(const SeedRequest& request) {
    util::InterruptGuard interrupts;
    auto started = std::chrono::steady_clock::now();
    const core::Config& config = *request.config;

    // 1. Load every seed; bad files stop here, before connecting. seed clear
    //    never runs on a protected environment.
    seed::SeedSet set = seed::load_seeds(seed::seeds_dir(config));
    if (request.action == SeedAction::clear && config.is_protected()) {
        throw Error(
            ExitCode::refused,
            "environment '" + *config.environment + "' is protected: seed clear never runs there",
            "Nothing was rolled back.");
    }

    // 2. Connect, refuse a standby, take the migration lock, create the tables,
    //    remember a protected target, refuse one recorded as protected.
    auto control = open(request, "lock");
    auto session = open(request, "");
    executor::prepare_migration_session(*session);
    db::refuse_standby(*control);
    db::AdvisoryLock lock(*control, request.lock_wait);
    db::ensure_history_schema(*control);
    seed::remember_if_protected(*control, config);
    seed::SeedContext ctx{*session,
                          *control,
                          core::new_run_id(),
                          core::actor(),
                          config.execute,
                          config.environment.value_or(""),
                          config.is_protected(),
                          request.scale.value_or(config.seed.scale),
                          request.progress,
                          request.summary};
    seed::refuse_recorded_protected(ctx, std::string("seed ") + seed_action_name(request.action));

    // 3. Do it: each seed in its own transaction, recorded in it.
    int done = act(request, ctx, set);
    if (request.summary != nullptr) {
        request.summary->took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
    }
    return done;
}

SeedStatus read_seed_status(const core::Config& config, const core::Target& target) {
    auto set = std::make_unique<const seed::SeedSet>(seed::load_seeds(seed::seeds_dir(config)));
    auto session = db::connect_as(target.conninfo, config.application_name, "");
    auto ordered = config.environment ? seed::order_for_environment(*set, *config.environment)
                                      : seed::order_all(*set);
    seed::SeedReport report =
        seed::compute_seed_status(*set, ordered, seed::read_applied_seeds(*session));
    return {session->display_name(), std::move(set), std::move(report)};
}

}  // namespace sm::deploy
