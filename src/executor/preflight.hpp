#pragma once
// Preflight checks before a run and before each migration: the sessions that
// would block a migration's locks (or queue behind it and stall everyone),
// and how far physical replicas lag.
//
// A blocker is another session that holds, or waits for, a lock on a relation
// the migration touches (pg_locks joined with pg_stat_activity), and that is
// idle in transaction, or whose transaction or running query is older than
// the threshold. Young, short transactions are left alone: lock_timeout and
// retries deal with them without a stall.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::executor {

struct Blocker {
    int pid = 0;
    std::string user;
    std::string application;
    std::string client;  // address, or "local socket"
    std::string state;   // "idle in transaction", "active", ...
    std::chrono::milliseconds transaction_age{0};
    std::string query_start;             // ISO 8601 UTC, or "" when none
    std::vector<std::string> relations;  // the touched relations it locks
    bool waiting = false;                // queued for a lock, not holding it

    // "pid 4242 (user 'app', application 'web', from 10.0.0.5, idle in
    // transaction for 12.0s, query started 2026-...; holds public.orders)"
    // Never the query's text: it may hold data.
    std::string describe() const;
};

// The blockers of a migration touching tables ("public.orders"); tables not
// yet created are ignored. own_pids are the runner's own sessions.
std::vector<Blocker> find_blockers(db::Session& session, const std::vector<std::string>& tables,
                                   std::chrono::milliseconds min_age,
                                   const std::vector<int>& own_pids);

// The relations among tables that exist now. A run checks only these before
// each migration: a table the run itself created has no session that was
// already holding it, and any later one meets lock_timeout and the retries.
std::vector<std::string> existing_relations(db::Session& session,
                                            const std::vector<std::string>& tables);

// Terminates the blockers' backends (pg_terminate_backend). Returns the pids it
// could terminate. Throws db::DbError when the role may not.
std::vector<int> terminate_blockers(db::Session& session, const std::vector<Blocker>& blockers);

// The other sessions connected to this database whose application_name
// matches pattern (a POSIX regular expression, PostgreSQL's ~), described as
// "pid 4242 (user 'app', application 'shop-v1', from 10.0.0.5)", oldest first.
// Throws db::DbError (an invalid pattern among others).
std::vector<std::string> sessions_of_application(db::Session& session, const std::string& pattern);

struct ReplicaLag {
    std::string name;  // application_name of the standby, or its address
    std::chrono::milliseconds lag{0};
};

// The physical replicas' replay lag (pg_stat_replication.replay_lag), worst
// first. A replica that has not reported a lag yet counts as 0.
std::vector<ReplicaLag> replica_lag(db::Session& session);

}  // namespace sm::executor
