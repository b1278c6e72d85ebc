#pragma once
// What a DBA looks at before and after a deploy (status --tables, --health),
// as plain data: db/health.hpp reads it from the target.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sm::core {

// One table of a user schema (not pg_catalog, information_schema, pg_toast or
// safe_migrate). Timestamps are the server's text (ISO 8601), "" when never.
struct TableStats {
    std::string schema;
    std::string name;
    int64_t estimated_rows = 0;  // pg_class.reltuples; -1 when never analyzed
    int64_t total_bytes = 0;     // table, toast and indexes
    int64_t index_bytes = 0;
    int64_t dead_tuples = 0;
    std::string last_vacuum;  // the newer of the manual and the automatic one
    std::string last_analyze;
};

// A session of the target database that has run long (its statement), or sat
// idle inside a transaction (its transaction).
struct LongSession {
    int pid = 0;
    std::string user;
    std::string application;
    double seconds = 0;
    std::string query;  // the first 200 characters of its statement
};

struct StandbyLag {
    std::string name;  // application_name of the standby, or its address
    std::string state;
    std::optional<double> replay_lag_seconds;  // null when the server does not know
    std::optional<int64_t> replay_lag_bytes;
};

// A sequence past 75% of its type's range (or of its maxvalue).
struct SequenceUse {
    std::string name;  // schema.name
    int64_t last_value = 0;
    int64_t max_value = 0;
    double percent = 0;
};

struct Health {
    std::string server_version;  // "15.4"
    int64_t database_bytes = 0;
    int connections = 0;
    int max_connections = 0;
    std::optional<LongSession> longest_running;  // active, other than status's own
    std::optional<LongSession> longest_idle_in_transaction;
    std::vector<StandbyLag> standbys;
    std::vector<std::string> invalid_indexes;          // schema.index on schema.table
    std::vector<std::string> unvalidated_constraints;  // schema.table.constraint
    std::vector<SequenceUse> sequences_near_limit;     // most used first
};

}  // namespace sm::core
