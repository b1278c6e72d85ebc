#pragma once
// Post-deploy checks ([[execute.checks]] in safe-migrate.toml): each check's
// sql must return true on the target (db/check_query.hpp: a read-only
// transaction, rolled back), each command must exit 0 (run from the project
// directory without a shell, with DATABASE_URL set to the target in its
// environment). execute runs them after its last migration, and with
// --verify also validate (the live schema against what the migrations build);
// a failure fails the run like a failed migration, so the failure policy
// undoes it. `safe-migrate check` runs them alone, for monitoring.
//
// What a check prints or returns is redacted: no password leaves through it.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "db/session.hpp"
#include "deploy/reporter.hpp"
#include "deploy/request.hpp"

namespace sm::deploy {

// The check validate adds with execute --verify.
inline constexpr const char* k_verify_check = "validate";

// The checks a run makes after its last migration, in order (the configured
// ones, then "validate" with verify): the one list a dry run shows and a run
// follows.
std::vector<std::string> planned_checks(const core::ExecuteSettings& settings, bool verify);

// Runs one configured check against target (sql on session; a command from
// project_dir). Never throws for a check that fails: the result says why.
CheckResult run_check(const core::PostDeployCheck& check, db::Session& session,
                      const core::Target& target, const std::filesystem::path& project_dir);

// After a run's last migration: runs request's checks in planned_checks'
// order on session, logging each and recording check.passed or check.failed
// (naming the check) on control under run_id. Returns the results when all
// passed. Throws sm::Error naming the first check that failed (failure;
// drift for validate; interrupted between checks), whose message the run's
// events and notification carry; the checks after it do not run.
std::vector<CheckResult> run_post_deploy_checks(const Request& request, db::Session& session,
                                                db::Session& control, const std::string& run_id);

// safe-migrate check: every configured check, failing or not.
struct CheckReport {
    std::string target;  // display form, no password
    std::vector<CheckResult> results;
    std::chrono::milliseconds took{0};
    bool passed() const;  // every check passed (true when none is configured)
};

// Connects to target and runs config's checks (the selected environment's).
// Changes nothing and takes no lock. Throws sm::Error (db_unreachable,
// interrupted).
CheckReport check_target(const core::Config& config, const core::Target& target);

}  // namespace sm::deploy
