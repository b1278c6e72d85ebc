#include "db/history.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "core/identity.hpp"
#include "db/transaction.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::db {
namespace {

// The schema, a statement each (sent as one batch: one round trip). Every
// statement is idempotent, so a schema made by an earlier version is completed.
constexpr std::array<const char*, 12> k_schema_statements = {
    "CREATE SCHEMA IF NOT EXISTS safe_migrate",
    "COMMENT ON SCHEMA safe_migrate IS "
    "'migration history kept by safe-migrate; do not edit by hand'",
    R"SQL(CREATE TABLE IF NOT EXISTS safe_migrate.history (
    version            text        PRIMARY KEY,
    version_key        numeric[]   NOT NULL,
    name               text        NOT NULL,
    checksum           text        NOT NULL,
    checksum_algorithm text        NOT NULL,
    applied_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by         text        NOT NULL,
    duration_ms        bigint      NOT NULL,
    run_id             uuid        NOT NULL,
    tool_version       text        NOT NULL
))SQL",
    R"SQL(CREATE TABLE IF NOT EXISTS safe_migrate.events (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_id   uuid        NOT NULL,
    kind     text        NOT NULL,
    version  text,
    actor    text        NOT NULL,
    message  text        NOT NULL DEFAULT ''
))SQL",
    "CREATE INDEX IF NOT EXISTS events_run_id_idx ON safe_migrate.events (run_id)",
    R"SQL(CREATE TABLE IF NOT EXISTS safe_migrate.progress (
    version          text        PRIMARY KEY,
    name             text        NOT NULL,
    checksum         text        NOT NULL,
    statements_total integer     NOT NULL,
    statements_done  integer     NOT NULL,
    done_hash        text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('running', 'failed')),
    last_error       text        NOT NULL DEFAULT '',
    run_id           uuid        NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
))SQL",
    R"SQL(CREATE OR REPLACE FUNCTION safe_migrate.events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'safe_migrate.events is append-only; record a new event instead';
END
$fn$)SQL",
    R"SQL(CREATE OR REPLACE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON safe_migrate.events
    FOR EACH STATEMENT EXECUTE FUNCTION safe_migrate.events_are_append_only())SQL",
    R"SQL(CREATE TABLE IF NOT EXISTS safe_migrate.seeds (
    id                 text        PRIMARY KEY,
    environment        text        NOT NULL,
    checksum           text        NOT NULL,
    checksum_algorithm text        NOT NULL,
    scale              integer     NOT NULL CHECK (scale >= 1),
    applied_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by         text        NOT NULL,
    duration_ms        bigint      NOT NULL,
    run_id             uuid        NOT NULL,
    tool_version       text        NOT NULL,
    runs               integer     NOT NULL DEFAULT 1
))SQL",
    "COMMENT ON TABLE safe_migrate.seeds IS "
    "'seeds applied by safe-migrate seed run; do not edit by hand'",
    R"SQL(CREATE TABLE IF NOT EXISTS safe_migrate.protected_targets (
    system_identifier text        NOT NULL,
    database          text        NOT NULL,
    environment       text        NOT NULL,
    first_recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by       text        NOT NULL,
    PRIMARY KEY (system_identifier, database)
))SQL",
    "COMMENT ON TABLE safe_migrate.protected_targets IS "
    "'databases safe-migrate ran against as a protected environment; "
    "reset and seed clear refuse them'",
};

// Versions were bigint before they could be dotted (1.2.10): a history created
// then is upgraded in place, once, keeping every row (the integer's text is the
// version's text, and its key the one-element array). Rows are ordered by
// version_key; the version's text is what the files say.
constexpr const char* k_upgrade_sql = R"SQL(
DO $upgrade$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['history', 'events', 'progress'] LOOP
        IF (SELECT atttypid = 'bigint'::regtype FROM pg_attribute
            WHERE attrelid = ('safe_migrate.' || t)::regclass AND attname = 'version') THEN
            EXECUTE format('ALTER TABLE safe_migrate.%I ALTER COLUMN version TYPE text '
                           'USING version::text', t);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'safe_migrate.history'::regclass
                   AND attname = 'version_key' AND NOT attisdropped) THEN
        ALTER TABLE safe_migrate.history ADD COLUMN version_key numeric[];
        UPDATE safe_migrate.history SET version_key = ARRAY[version::numeric];
        ALTER TABLE safe_migrate.history ALTER COLUMN version_key SET NOT NULL;
    END IF;
END
$upgrade$;
)SQL";

// Where the schema stands ($1: history_schema_relations()): "current" when
// every relation k_schema_statements creates and its trigger exist and
// k_upgrade_sql has nothing to do (one catalog read instead of DDL, which locks
// events and writes the catalog, on every run); "absent" when neither history
// nor progress exists (first use: there is nothing to read); else "outdated".
// to_regclass keeps it an answer, never an error, whatever is missing.
constexpr const char* k_schema_state_sql = R"SQL(
SELECT CASE
  WHEN count(*) FILTER (WHERE c IS NULL) = 0
   AND EXISTS (SELECT FROM pg_trigger WHERE tgrelid = to_regclass('safe_migrate.events')
               AND tgname = 'events_append_only')
   AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('safe_migrate.history')
               AND attname = 'version_key' AND NOT attisdropped)
   AND NOT EXISTS (SELECT FROM pg_attribute WHERE attname = 'version'
                   AND atttypid = 'bigint'::regtype
                   AND attrelid IN (to_regclass('safe_migrate.history'),
                                    to_regclass('safe_migrate.events'),
                                    to_regclass('safe_migrate.progress')))
  THEN 'current'
  WHEN to_regclass('safe_migrate.history') IS NULL AND to_regclass('safe_migrate.progress') IS NULL
  THEN 'absent'
  ELSE 'outdated' END
FROM unnest($1::text[]) AS name, to_regclass('safe_migrate.' || name) AS c
)SQL";

// Why the schema could not be made, as the error a command stops with.
Error schema_error(const DbError& e) {
    return Error(
        e.connection_lost() ? ExitCode::db_unreachable : ExitCode::failure,
        "cannot create safe-migrate's history schema safe_migrate: " + std::string(e.what()),
        "The role needs CREATE on the database, and nothing else may hold the names in "
        "schema safe_migrate (history, events, progress, seeds, protected_targets).");
}

// The transaction that creates or completes the schema, as one batch. Its
// commit is made durable by the next synchronous commit (every command that
// records anything ends with one); lost in a crash before it, it is made again.
std::vector<BatchStatement> schema_batch() {
    std::vector<BatchStatement> batch = {
        {"BEGIN", {}},
        {set_timeouts_sql(k_bookkeeping_lock_timeout, std::nullopt, SettingScope::transaction), {}},
        {"SET LOCAL synchronous_commit = off", {}}};
    for (const char* statement : k_schema_statements) {
        batch.push_back({statement, {}});
    }
    batch.push_back({k_upgrade_sql, {}});
    batch.push_back({"COMMIT", {}});
    return batch;
}

std::string text_or_empty(const Value& v) {
    return v.value_or("");
}

// A stored version (bigint in a history not upgraded yet, text since); one
// that does not read as a version keeps its text and sorts as 0.
core::Version version_of(const Value& v) {
    std::string text = v.value_or("");
    auto parsed = core::Version::parse(text);
    return parsed ? *parsed : core::Version(0);
}

// Rows in version order. Not ORDER BY in SQL: the text column's order is not
// the versions' (10 before 2), progress has no version_key, and a read-only
// command (status) may read a history not upgraded yet, without version_key.
template <typename Row>
void sort_by_version(std::vector<Row>& rows) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.version < b.version; });
}

}  // namespace

bool history_exists(Session& session) {
    return session.exec("SELECT to_regclass('safe_migrate.history') IS NOT NULL").scalar() == "t";
}

const std::vector<std::string>& history_schema_relations() {
    static const std::vector<std::string> k_relations = {"history",  "events", "events_run_id_idx",
                                                         "progress", "seeds",  "protected_targets"};
    return k_relations;
}

HistorySchema history_schema_state(Session& session) {
    std::string relations = "{" + util::join(history_schema_relations(), ",") + "}";
    auto state = session.exec_params(k_schema_state_sql, {relations}).scalar();
    if (state == "current") {
        return HistorySchema::current;
    }
    return state == "absent" ? HistorySchema::absent : HistorySchema::outdated;
}

void ensure_history_schema(Session& session) {
    if (history_schema_state(session) != HistorySchema::current) {
        create_history_schema(session);
    }
}

void create_history_schema(Session& session) {
    try {
        session.exec_batch(schema_batch());
    } catch (const DbError& e) {
        rollback_quietly(session);
        throw schema_error(e);
    }
}

void send_history_schema(Session& session) {
    try {
        session.send_batch(schema_batch());
    } catch (const DbError& e) {
        throw schema_error(e);  // nothing was sent, or the connection is gone
    }
}

void receive_history_schema(Session& session) {
    try {
        session.receive_batch();
    } catch (const DbError& e) {
        rollback_quietly(session);
        throw schema_error(e);
    }
}

std::vector<AppliedMigration> read_applied(Session& session) {
    std::vector<AppliedMigration> out;
    if (!history_exists(session)) {
        return out;
    }
    auto r = session.exec(
        "SELECT version, name, checksum, checksum_algorithm, "
        "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "applied_by, duration_ms, run_id, tool_version FROM safe_migrate.history");
    for (const auto& row : r.rows) {
        AppliedMigration m;
        m.version = version_of(row[0]);
        m.name = text_or_empty(row[1]);
        m.checksum = text_or_empty(row[2]);
        m.checksum_algorithm = text_or_empty(row[3]);
        m.applied_at = text_or_empty(row[4]);
        m.applied_by = text_or_empty(row[5]);
        m.duration_ms = std::stoll(row[6].value_or("0"));
        m.run_id = text_or_empty(row[7]);
        m.tool_version = text_or_empty(row[8]);
        out.push_back(std::move(m));
    }
    sort_by_version(out);
    return out;
}

std::vector<PartialMigration> read_partial(Session& session) {
    std::vector<PartialMigration> out;
    if (!history_exists(session)) {
        return out;
    }
    auto r = session.exec(
        "SELECT version, name, checksum, statements_total, statements_done, done_hash, state, "
        "last_error, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "run_id FROM safe_migrate.progress");
    for (const auto& row : r.rows) {
        PartialMigration p;
        p.version = version_of(row[0]);
        p.name = text_or_empty(row[1]);
        p.checksum = text_or_empty(row[2]);
        p.statements_total = std::stoi(row[3].value_or("0"));
        p.statements_done = std::stoi(row[4].value_or("0"));
        p.done_hash = text_or_empty(row[5]);
        p.state =
            text_or_empty(row[6]) == "failed" ? ProgressState::failed : ProgressState::running;
        p.last_error = text_or_empty(row[7]);
        p.updated_at = text_or_empty(row[8]);
        p.run_id = text_or_empty(row[9]);
        out.push_back(std::move(p));
    }
    sort_by_version(out);
    return out;
}

void record_event(Session& session, const Event& event) {
    try {
        session.exec_prepared(
            "INSERT INTO safe_migrate.events (run_id, kind, version, actor, message) "
            "VALUES ($1, $2, $3, $4, $5)",
            {event.run_id, event.kind, event.version ? Value{event.version->text()} : Value{},
             Value{core::actor()}, util::redact_text(event.message)});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "safe-migrate: warning: could not record event %s: %s\n",
                     event.kind.c_str(), util::redact_text(e.what()).c_str());
    }
}

std::string export_events(Session& session) {
    if (session.exec("SELECT to_regclass('safe_migrate.events') IS NOT NULL").scalar() != "t") {
        return "[]";
    }
    return session
        .exec("SELECT coalesce(json_agg(e ORDER BY e.id), '[]') FROM safe_migrate.events e")
        .scalar()
        .value_or("[]");
}

int import_events(Session& session, const std::string& events_json) {
    if (events_json == "[]") {
        return 0;
    }
    ensure_history_schema(session);
    auto r = session.exec_params(
        "WITH carried AS (INSERT INTO safe_migrate.events (at, run_id, kind, version, actor, "
        "message) SELECT x.at, x.run_id, x.kind, x.version, x.actor, x.message "
        "FROM json_to_recordset($1::json) AS x(id bigint, at timestamptz, run_id uuid, kind text, "
        "version text, actor text, message text) "
        "WHERE NOT EXISTS (SELECT 1 FROM safe_migrate.events e WHERE e.at = x.at "
        "AND e.run_id = x.run_id AND e.kind = x.kind AND e.version IS NOT DISTINCT FROM x.version "
        "AND e.actor = x.actor AND e.message = x.message) ORDER BY x.id RETURNING 1) "
        "SELECT count(*) FROM carried",
        {events_json});
    return std::stoi(r.scalar().value_or("0"));
}

void insert_history_row(Session& session, const AppliedMigration& row) {
    session.exec_prepared(
        "INSERT INTO safe_migrate.history (version, version_key, name, checksum, "
        "checksum_algorithm, applied_by, duration_ms, run_id, tool_version) "
        "VALUES ($1, $9::numeric[], $2, $3, $4, $5, $6, $7, $8)",
        {row.version.text(), row.name, row.checksum, row.checksum_algorithm, row.applied_by,
         std::to_string(row.duration_ms), row.run_id, row.tool_version, row.version.key_literal()});
}

BatchStatement record_applied_statement(const AppliedMigration& row, const std::string& actor) {
    // One statement, prepared once per connection: the history row, and its
    // event from what the row says (the duration is the transaction's so far).
    return {
        "WITH h AS (INSERT INTO safe_migrate.history (version, version_key, name, checksum, "
        "checksum_algorithm, applied_by, duration_ms, run_id, tool_version) VALUES ($1, "
        "$8::numeric[], $2, $3, $4, $5, "
        "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, $6, $7) "
        "RETURNING version, duration_ms, run_id) "
        "INSERT INTO safe_migrate.events (run_id, kind, version, actor, message) "
        "SELECT run_id, 'migration.applied', version, $9::text, "
        "'applied in ' || duration_ms || 'ms' FROM h",
        {row.version.text(), row.name, row.checksum, row.checksum_algorithm, row.applied_by,
         row.run_id, row.tool_version, row.version.key_literal(), actor},
        true};
}

void record_event_durably(Session& session, const Event& event) {
    try {
        session.exec_batch({
            {"BEGIN", {}},
            {"SET LOCAL synchronous_commit = on", {}},
            {"INSERT INTO safe_migrate.events (run_id, kind, version, actor, message) "
             "VALUES ($1, $2, $3, $4, $5)",
             {event.run_id, event.kind, event.version ? Value{event.version->text()} : Value{},
              Value{core::actor()}, util::redact_text(event.message)}},
            {"COMMIT", {}},
        });
    } catch (const DbError&) {
        rollback_quietly(session);
        throw;
    }
}

void delete_history_row(Session& session, const core::Version& version) {
    session.exec_prepared("DELETE FROM safe_migrate.history WHERE version = $1", {version.text()});
}

void save_progress(Session& session, const PartialMigration& p) {
    session.exec_prepared(
        "INSERT INTO safe_migrate.progress (version, name, checksum, statements_total, "
        "statements_done, "
        "done_hash, state, last_error, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, "
        "statements_total = EXCLUDED.statements_total, statements_done = EXCLUDED.statements_done, "
        "done_hash = EXCLUDED.done_hash, state = EXCLUDED.state, last_error = EXCLUDED.last_error, "
        "run_id = EXCLUDED.run_id, updated_at = clock_timestamp()",
        {p.version.text(), p.name, p.checksum, std::to_string(p.statements_total),
         std::to_string(p.statements_done), p.done_hash, progress_state_name(p.state),
         util::redact_text(p.last_error), p.run_id});
}

void delete_progress(Session& session, const core::Version& version) {
    session.exec_prepared("DELETE FROM safe_migrate.progress WHERE version = $1", {version.text()});
}

const char* progress_state_name(ProgressState state) {
    return state == ProgressState::failed ? "failed" : "running";
}

void accept_checksum(Session& session, const core::Version& version, const std::string& checksum) {
    session.exec_params("UPDATE safe_migrate.history SET checksum = $2 WHERE version = $1",
                        {version.text(), checksum});
}

std::optional<core::Version> read_head(Session& session) {
    if (!history_exists(session)) {
        return std::nullopt;
    }
    std::optional<core::Version> head;
    for (const auto& a : read_applied(session)) {
        head = std::max(head.value_or(a.version), a.version);
    }
    return head;
}

}  // namespace sm::db
