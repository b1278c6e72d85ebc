#pragma once
// What a deployment is asked to do, resolved once by its caller (the command
// line, or later a fleet rollout calling it once per target): the project,
// the target, the one copy of the run's settings, and the boundaries it talks
// through. Nothing here is a command-line type.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/create.hpp"
#include "backup/restore.hpp"
#include "backup/restore_point.hpp"
#include "core/config.hpp"
#include "core/conninfo.hpp"
#include "db/session.hpp"
#include "notify/http.hpp"
#include "planner/policy.hpp"
#include "planner/project.hpp"

namespace sm::deploy {

// Whether the run takes a verified pre-deploy backup before its first migration.
enum class BackupChoice {
    when_protected,  // on a protected environment only (the default)
    always,          // --backup
    skip,            // --skip-backup: never, and the reason is recorded
};

struct BackupPolicy {
    BackupChoice choice = BackupChoice::when_protected;
    std::string skip_reason;  // with skip: why (trimmed, never empty)
};

// --override-policy: the run goes past a policy gate that blocks it, with a
// reason (recorded as an event and carried in the notifications). Refused on a
// protected environment unless its config sets allow_policy_override.
struct PolicyOverride {
    bool requested = false;
    std::string reason;  // with requested: why (trimmed, never empty)
};

// The run's I/O boundaries. The defaults talk to the real target, libcurl and
// pg_dump/pg_restore; tests replace them.
struct Boundaries {
    // Opens a session to the target; role names it in application_name
    // ("lock" -> "safe-migrate/lock"). Throws sm::Error (db_unreachable).
    std::function<std::unique_ptr<db::Session>(const std::string& role)> connect;
    // A new HTTP client for the notifier.
    std::function<std::unique_ptr<notify::HttpClient>()> http;
    // Takes a backup, and restores one.
    std::function<backup::Manifest(const backup::CreateRequest&)> take_backup;
    std::function<backup::RestoreResult(const backup::RestoreRequest&)> restore_backup;
    // Takes a pgBackRest restore point ([backup] engine = "pgbackrest").
    std::function<backup::Manifest(const backup::RestorePointRequest&)> take_restore_point;
    // Verifies a backup just taken: the problems found (empty: verified).
    std::function<std::vector<std::string>(const std::filesystem::path& dir, backup::Manifest& m)>
        verify_backup;
};

// The real boundaries for target, connecting with the project's application_name.
Boundaries real_boundaries(const core::Target& target, const core::Config& config);

// Starts opening a run's two sessions (roles "lock" and "") to target now, each
// on a thread of its own, so the caller can load the project while the server
// answers; io.connect hands each out once (waiting for it, or throwing its
// connection error), then connects as before. Sessions never asked for are
// closed with io (db::PendingSession).
void connect_ahead(Boundaries& io, const core::Target& target, const core::Config& config);

struct Request {
    const planner::Project* project = nullptr;  // config, migrations, parsed scripts
    core::Target target;
    core::ExecuteSettings settings;  // [execute] of the config and environment, flags applied
    std::optional<std::filesystem::path> plan_file;  // hold the run to this reviewed plan
    std::optional<core::Version> up_to;              // apply up to and including this version
    // Apply pending migrations up to and including this phase (deploy/phases.hpp).
    core::Phase through = core::Phase::backfill;
    std::vector<core::Version> accept_changed;  // applied versions whose changed file is accepted
    BackupPolicy backup;
    // The policy gate: the steps are linted under policy with the target's
    // context before preflight and any backup (with plan_file, the plan's
    // verdict is the gate and policy must be the one it was made under).
    planner::Policy policy;
    PolicyOverride policy_override;
    // After the last migration, also validate: the live schema against what the
    // migrations build (validate/validate_target.hpp); drift fails the run.
    bool verify = false;
    bool dry_run = false;      // walk the same steps, change nothing, report the verdict
    bool quiet = false;        // -q: announce no waits and no rollback steps
    bool quiet_tools = false;  // pg_dump/pg_restore print no progress
    Boundaries io;
};

}  // namespace sm::deploy
