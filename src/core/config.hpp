#pragma once
// The project file, safe-migrate.toml.
//
// Every key is known: an unknown key, a wrong type or a bad value is an error
// naming the file, the line and the key. String values may reference
// environment variables as ${NAME} (write $$ for a literal $), so secrets stay
// out of the file; a reference to an unset variable is an error naming it.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/layout.hpp"

namespace sm::core {

inline constexpr const char* k_config_file_name = "safe-migrate.toml";

// What a failed run does: run the down files of its migrations newest first
// (rollback), restore the pre-deploy backup (restore), or leave it (stop).
enum class FailurePolicy { rollback, restore, stop };

// "rollback", "restore", "stop".
const char* failure_policy_name(FailurePolicy policy);

// The policy a name gives, or std::nullopt for any other text.
std::optional<FailurePolicy> parse_failure_policy(std::string_view name);

// A post-deploy check ([[execute.checks]]), run after a run's last migration
// and by `safe-migrate check` (deploy/checks.hpp): exactly one of sql (must
// return one row whose first value is true) and command (an argv, run without
// a shell; must exit 0).
struct PostDeployCheck {
    std::string name;
    std::string sql;
    std::vector<std::string> command;
    std::chrono::milliseconds timeout{60000};
};

// How execute and rollback behave. Environments may override any of these.
struct ExecuteSettings {
    std::chrono::milliseconds lock_timeout{3000};
    std::chrono::milliseconds statement_timeout{30 * 60 * 1000};
    int lock_retries = 5;  // further attempts after a lock timeout
    std::chrono::milliseconds retry_base_delay{500};
    std::chrono::milliseconds retry_max_delay{15000};
    std::chrono::milliseconds lock_wait{60000};  // wait for another runner's lock
    bool allow_out_of_order = false;
    // out_of_order = "by-dependency": a pending migration older than the head
    // runs without allow_out_of_order when its requirements are met and no
    // applied migration requires it (planner/dependencies.hpp).
    bool out_of_order_by_dependency = false;

    // Preflight: a session holding or awaiting a lock on a table a migration
    // touches blocks it when it is idle in transaction, or its transaction or
    // query is older than blocker_age. execute waits up to wait_for_blockers
    // for blockers to finish, then terminates them (terminate_blockers) or stops.
    std::chrono::milliseconds blocker_age{1000};
    std::chrono::milliseconds wait_for_blockers{30000};
    bool terminate_blockers = false;
    // Refuse to start (or go on) while a physical replica replays more than
    // this far behind; off when unset.
    std::optional<std::chrono::milliseconds> max_replica_lag;
    // The whole run's time limit: checked between migrations, and each
    // statement's timeouts are capped to what is left of it; off when unset.
    std::optional<std::chrono::milliseconds> max_duration;
    // While a statement runs, a line on stderr this often (elapsed, what it
    // waits on, progress); 0: none.
    std::chrono::milliseconds heartbeat{30000};
    FailurePolicy on_failure = FailurePolicy::rollback;
    // rollback: restore the pre-deploy backup when a down file is missing or fails.
    bool restore_fallback = true;
    // An automatic restore may terminate the target's other sessions.
    bool restore_terminates_sessions = false;
    // execute --override-policy may run past the policy gate on a protected
    // environment (elsewhere it always may, with a reason).
    bool allow_policy_override = false;
    // A contract migration is refused while a session whose application_name
    // matches this POSIX regular expression is connected (the old application
    // version); "" = no such check.
    std::string old_app_pattern;
    std::vector<PostDeployCheck> checks;  // [[execute.checks]], in order
};

// How phase=backfill migrations run ([backfill]; executor/backfill.hpp).
struct BackfillSettings {
    std::chrono::milliseconds batch_time{200};  // each batch's target duration
    double sleep_ratio = 0.5;                   // sleep this much of a batch's time after it
    int batch_size = 1000;                      // the first batch's rows
    int max_batch_size = 100000;                // adaptive sizing never goes above
    // Pause while a physical replica replays further behind (or its lag cannot be read).
    std::optional<std::chrono::milliseconds> max_replica_lag;
    std::string check_sql;  // run between batches; pause unless it returns true ("": none)
    std::chrono::milliseconds pause_poll{1000};  // how often a paused runner looks again
};

// [backup] encryption_key: the key every archive file is encrypted with
// (backup/segment_cipher.hpp). A secret: registered for redaction, never printed.
struct EncryptionKey {
    std::string bytes;  // the 32 raw key bytes; empty: no key
    // The key is configured through a ${VAR} that is not set: "file:line:
    // backup.encryption_key references environment variable BACKUP_KEY, which
    // is not set". Only an error where a key is needed (creating a backup,
    // reading an encrypted one), so commands that need none still run.
    std::string unset;
    bool configured() const { return !bytes.empty() || !unset.empty(); }
};

// How backups are taken, kept and restored ([backup]).
// Where an "s3" catalog lives ([backup] endpoint, bucket, prefix, region,
// addressing and the credentials). The credentials are secrets: registered for
// redaction, never printed or recorded; empty here means the AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN environment variables.
struct S3Settings {
    std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com"; http:// only on loopback
    std::string bucket;
    std::string prefix;                // objects are <prefix>/<id>/<file>; no leading '/'
    std::string region = "us-east-1";  // for the signature
    bool virtual_host = false;         // addressing = "virtual": <bucket>.<host>
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;
};

struct BackupSettings {
    std::filesystem::path dir;      // the catalog; absolute (default <project>/backups)
    std::string storage = "local";  // "local": dir; "s3": s3 (dir is unused)
    S3Settings s3;
    // s3: where downloaded backups are kept between runs (default: a private
    // temporary directory removed at exit).
    std::optional<std::filesystem::path> cache_dir;
    std::string format = "directory";                    // "directory" (parallel) or "custom"
    int jobs = 0;                                        // pg_dump/pg_restore -j; 0: one per core
    int compression = 1;                                 // gzip level 0-9 (pg_dump 15)
    std::chrono::milliseconds lock_wait_timeout{30000};  // pg_dump --lock-wait-timeout
    std::optional<std::filesystem::path> pg_bin_dir;     // where pg_dump/pg_restore live
    std::optional<int> keep_last;                        // retention: newest N usable
    std::optional<int> keep_days;                        // retention: younger than D days
    bool count_rows = true;     // exact row counts per table, in the dump's snapshot
    bool safety_backup = true;  // back up the target before a restore
    // Off a terminal, a progress line at least this often while pg_dump or
    // pg_restore runs (CI systems kill jobs that go quiet).
    std::chrono::milliseconds heartbeat{30000};
    // backup prune drops <db>_pre_restore_* databases older than this; unset: never.
    std::optional<std::chrono::milliseconds> keep_pre_restore;
    // backup prune leaves a remote backup with no manifest alone while it is
    // younger than this (by its id's start time): its upload may still be running.
    std::chrono::milliseconds keep_incomplete{24LL * 3600 * 1000};
    EncryptionKey encryption_key;  // none: archives are stored as pg_dump writes them
    // engine = "pgbackrest": the pre-deploy safety point is a named restore
    // point in the WAL that pgBackRest archives (backup/restore_point.hpp)
    // instead of a pg_dump; pgBackRest's own configuration stays its own.
    std::string engine = "pg_dump";                          // "pg_dump" or "pgbackrest"
    std::string stanza;                                      // required with pgbackrest
    std::optional<std::filesystem::path> pgbackrest_config;  // pgbackrest --config
    std::chrono::milliseconds max_base_backup_age{24LL * 3600 * 1000};
    bool take_base_backup = false;  // take a full backup when the newest is too old
};

// How restores treat the target's other sessions ([restore]); both `restore`
// and execute's automatic restore. Sessions still connected after
// session_wait make the restore refuse, unless it may terminate them
// (restore --force; [execute] restore_terminates_sessions).
struct RestoreSettings {
    std::chrono::milliseconds session_wait{30000};
};

// What an endpoint receives: a Slack incoming-webhook message, or the generic
// JSON event (signed with Standard Webhooks when it has a secret).
enum class WebhookKind { slack, generic };

// "slack", "generic".
const char* webhook_kind_name(WebhookKind kind);

// One notification endpoint ([[notify.webhooks]]).
struct WebhookConfig {
    std::string name;  // for messages; default "<kind>-<n>"
    WebhookKind kind = WebhookKind::generic;
    std::string url;     // a secret: never printed
    std::string secret;  // generic: the signing secret ("" = unsigned)
    std::vector<std::string>
        events;               // "deploy.*", "backup.failed"; empty: all but migration.applied
    bool required = false;    // a failed deploy.started stops the deployment
    bool allow_http = false;  // plain http to a non-loopback host
    // True when this endpoint wants events of type.
    bool wants(const std::string& type) const;
};

// Where deployment events go ([notify]).
struct NotifySettings {
    std::vector<WebhookConfig> webhooks;
    std::chrono::milliseconds deadline{20000};  // total time notifying, per event
    std::chrono::milliseconds attempt_timeout{10000};
    std::chrono::milliseconds connect_timeout{3000};
    int retries = 3;
    std::filesystem::path spool;  // absolute; default <project>/.safe-migrate/notify-spool.jsonl
    std::string link;             // the pipeline run; default from CI variables
    // A spooled event flushed later than this after it was spooled is marked
    // stale (data.stale; Slack says so).
    std::chrono::milliseconds stale_after{3600000};
    // Where the runbooks are published ("https://git.example.com/app/blob/main"):
    // an event's runbook ("runbooks/restore.md") becomes a link under it; "" = none.
    std::string runbook_base_url;
};

// Seeds: SQL files that fill a database with data ([seed]).
struct SeedSettings {
    // The seeds directory when [seed] dir is set (absolute); by default seeds
    // live in <migrations_dir>/seeds (seed/seed_source.hpp: seeds_dir).
    std::optional<std::filesystem::path> dir;
    int scale = 1;  // multiplies the example seeds' row counts (seed run --scale)
};

struct EnvironmentConfig {
    std::string name;
    bool is_protected = false;
    std::optional<std::string> database_url;
};

// The [notify] tables as written, read on first use (Config::notify).
struct NotifySource;

struct Config {
    std::optional<std::filesystem::path> file;  // the file read, if any
    std::filesystem::path project_dir;          // relative paths are resolved against this
    std::filesystem::path migrations_dir;       // absolute
    std::optional<Layout> layout;               // layout = "..."; unset: native, detected
    std::optional<std::string> database_url;    // [database] url
    std::string application_name = "safe-migrate";
    ExecuteSettings execute;
    BackupSettings backup;
    RestoreSettings restore;
    std::shared_ptr<const NotifySource> notify_source;  // null: no [notify]
    SeedSettings seed;
    BackfillSettings backfill;
    std::map<std::string, EnvironmentConfig> environments;
    std::optional<std::string> environment;  // the one selected with --env

    // The selected environment's database_url, if it names one.
    std::optional<std::string> environment_database_url() const;

    // True when the selected environment is marked protected.
    bool is_protected() const;

    // [notify], or the selected environment's [environments.NAME.notify] which
    // replaces it: read, with ${VAR} references expanded, when a command first
    // uses it, so an unset variable that only notifications use does not stop
    // commands that send none. Throws sm::Error (invalid_input) naming the
    // file, line, key or variable.
    NotifySettings notify() const;
};

// Loads the config: explicit_path when given (it must exist), else
// ./safe-migrate.toml when present, else defaults. environment selects
// [environments.<name>], which must be declared (with no config file, no
// environment exists: an error naming the directory).
// Throws sm::Error (invalid_input) naming the file, line and key on bad input.
Config load_config(const std::optional<std::filesystem::path>& explicit_path,
                   const std::optional<std::string>& environment);

// Parses config text as if read from file_name (for tests and for load_config).
Config parse_config(const std::string& text, const std::filesystem::path& file_name,
                    const std::optional<std::string>& environment);

// Expands ${NAME} references in value. Throws sm::Error naming where (a
// "file:line: key" string) and the variable when it is unset.
std::string expand_env(const std::string& value, const std::string& where);

}  // namespace sm::core
