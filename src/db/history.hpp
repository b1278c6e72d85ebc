#pragma once
// The history the target database keeps, in schema safe_migrate:
//
//   history   one row per applied migration, written in the migration's own
//             transaction (so it exists exactly when the migration's effects do)
//   events    append-only log of what every run did, written outside migration
//             transactions so a failure still leaves its trace; a trigger
//             rejects UPDATE and DELETE
//   progress  statement-by-statement progress of a no-transaction migration
//             that has started but not finished (failed midway, or killed)

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/version.hpp"
#include "db/session.hpp"

namespace sm::db {

struct AppliedMigration {
    core::Version version;
    std::string name;
    std::string checksum;
    std::string checksum_algorithm;
    std::string applied_at;  // ISO 8601, UTC
    std::string applied_by;
    int64_t duration_ms = 0;
    std::string run_id;
    std::string tool_version;
};

// Where a started no-transaction migration stands: still running (or its
// runner was killed), or stopped by a failed statement.
enum class ProgressState { running, failed };

// "running", "failed": as stored in safe_migrate.progress.
const char* progress_state_name(ProgressState state);

struct PartialMigration {
    core::Version version;
    std::string name;
    std::string checksum;
    int statements_total = 0;
    int statements_done = 0;
    std::string done_hash;  // SHA-256 over the completed statements' text
    ProgressState state = ProgressState::running;
    std::string last_error;
    std::string updated_at;
    std::string run_id;
};

struct Event {
    std::string run_id;
    std::string kind;  // "run.started", "migration.applied", ...
    std::optional<core::Version> version;
    std::string message;  // short, never contains SQL data or secrets
};

// True when the safe_migrate schema exists in the target.
bool history_exists(Session& session);

// The tables and named indexes (schema safe_migrate) ensure_history_schema
// creates: what it checks before deciding the schema is current.
const std::vector<std::string>& history_schema_relations();

// Where the safe_migrate schema stands: complete and current; absent (first
// use: no history and no progress table, so there is nothing to read); or to be
// created or upgraded (anything in between). One catalog read. Throws DbError.
enum class HistorySchema { current, absent, outdated };
HistorySchema history_schema_state(Session& session);

// Creates or upgrades the safe_migrate schema (history, progress, events, seeds,
// protected_targets) in one transaction, one round trip. Call only while
// holding the migration lock. A schema that is complete and current is only
// read (no DDL, no lock). Throws DbError when it cannot read, sm::Error
// (failure; db_unreachable when the connection is lost) when it cannot create.
void ensure_history_schema(Session& session);
// The same without the check, for a caller that knows (history_schema_state).
void create_history_schema(Session& session);

// The same transaction without waiting for it (Session::send_batch), for a
// session that is idle until receive_history_schema, which takes its result
// (throws ensure_history_schema's sm::Error, the transaction rolled back).
// While it runs, another session sees no schema (history_schema_state:
// absent): it reads nothing and must record nothing until the result is in.
// Under the migration lock.
void send_history_schema(Session& session);
void receive_history_schema(Session& session);

// Applied migrations ordered by version; empty when the schema does not exist.
std::vector<AppliedMigration> read_applied(Session& session);

// The newest applied version; std::nullopt when none is (or there is no history).
std::optional<core::Version> read_head(Session& session);

// Unfinished no-transaction migrations; empty when the schema does not exist.
std::vector<PartialMigration> read_partial(Session& session);

// Appends an event (autocommit; the message is redacted first). Never throws:
// a failure to log an event is reported on stderr and must not mask the error
// being recorded.
void record_event(Session& session, const Event& event);

// Every event of the session's database as one JSON array (oldest first), for
// carrying the trail across a restore; "[]" when the schema does not exist.
std::string export_events(Session& session);

// Appends the events of an export_events() array that the session's database
// does not hold yet (same time, run, kind, version, actor and message), oldest
// first, keeping their times and actors: after a restore the trail holds
// everything the replaced database recorded, and only grows. Creates the
// schema when missing (the caller holds the migration lock, or nobody else
// can connect). Returns how many were added. Throws DbError.
int import_events(Session& session, const std::string& events_json);

// Statements to insert and delete a history row; run inside the migration's
// transaction by the caller.
void insert_history_row(Session& session, const AppliedMigration& row);
void delete_history_row(Session& session, const core::Version& version);

// The same history row, and event "migration.applied" ("applied in <n>ms"),
// as one statement (prepared once per connection) for the end of the batch
// that runs the migration's transaction (db::run_transaction_batch), so
// recording costs no round trip of its own and the event exists exactly when
// the migration does. duration_ms is measured by
// the server from the start of the transaction (row.duration_ms is not used).
BatchStatement record_applied_statement(const AppliedMigration& row, const std::string& actor);

// Appends event in its own transaction committed with synchronous_commit on,
// and returns once it is durable: so is every transaction committed before it
// on the server (WAL is flushed in order), including migrations committed
// with synchronous_commit off. Throws DbError (unlike record_event).
void record_event_durably(Session& session, const Event& event);

// Records checksum as the applied migration version's checksum (autocommit):
// an operator accepted its changed file. The caller records the event.
void accept_checksum(Session& session, const core::Version& version, const std::string& checksum);

// Progress rows of no-transaction migrations (autocommit).
void save_progress(Session& session, const PartialMigration& progress);
void delete_progress(Session& session, const core::Version& version);

}  // namespace sm::db
