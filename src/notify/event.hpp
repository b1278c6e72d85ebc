#pragma once
// A deployment event as the notifier sends it: plain data, no credentials.
//
// Producers (execute, backup, restore, plan) fill what they know; payload.hpp
// turns it into a generic webhook envelope or a Slack message. Nothing here may
// hold a password, a connection string, a webhook URL, a secret, raw SQL or a
// child process's raw stderr: error messages are short, redacted summaries.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/version.hpp"

namespace sm::notify {

// The event types, as sent ("deploy.started").
inline constexpr const char* k_event_types[] = {
    "deploy.started",    "deploy.succeeded", "deploy.failed", "deploy.rolled_back",
    "migration.applied", "backup.completed", "backup.failed", "restore.started",
    "restore.completed", "restore.failed",   "plan.blocked",  "notify.test"};

bool is_event_type(const std::string& type);

struct EventTarget {
    std::string host;      // host alias as configured/seen (no user, no password)
    std::string database;  // db name
    int server_version = 0;
};

struct EventBackup {
    std::string id;
    int64_t bytes = 0;
    bool verified = false;
};

struct EventError {
    std::string code;     // exit code name: "failure", "lock_busy", ...
    std::string message;  // one line, redacted, no SQL and no stderr
};

// What an automatic rollback did (deploy.rolled_back, deploy.failed).
struct EventRollback {
    std::string means;                // "down files", "backup restore", or "none"
    std::vector<std::string> undone;  // migrations undone, newest first
    std::string failed_migration;     // the migration whose failure started it
    bool complete = false;            // the database is back at the run's starting version
    std::string manual_action;        // what a person must still do, or ""
};

// A run that went past the policy gate with --override-policy.
struct EventPolicyOverride {
    std::string policy;  // the policy's name
    int findings = 0;    // error findings overridden
    std::string reason;  // why, as given (one line)
};

struct Event {
    std::string id;           // unique per event; the same on every retry ("evt_<hex>")
    std::string type;         // one of k_event_types
    std::string timestamp;    // UTC, "2026-11-21T23:15:00.123Z"
    std::string environment;  // --env, or "" when none
    EventTarget target;
    std::optional<core::Version> version_from;
    std::optional<core::Version> version_to;
    std::vector<std::string> migrations;  // "20261121_add_orders"
    std::string status;                   // "started", "succeeded", "failed", ...
    std::string started_at;
    int64_t duration_ms = 0;
    std::optional<EventBackup> backup;
    std::optional<EventError> error;
    std::optional<EventRollback> rollback;
    std::optional<EventPolicyOverride> policy_override;
    std::string runbook;      // the runbook to follow ("runbooks/failed-deployment.md"), or ""
    std::string runbook_url;  // runbook under [notify] runbook_base_url, or ""
    std::string spooled_at;   // UTC, when it went to the spool; "" when sent at once
    bool stale = false;       // flushed from the spool more than [notify] stale_after late
    std::string run_id;
    std::string actor;  // user@host
    std::string tool_version;
    std::string link;  // the pipeline run, or ""
};

}  // namespace sm::notify
