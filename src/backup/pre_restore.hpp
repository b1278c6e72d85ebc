#pragma once
// The databases a swap restore keeps beside the target: the replaced database
// renamed <db>_pre_restore_<stamp> (backup/restore.hpp). `backup list` shows
// them with their age and size; `backup prune` drops them, all of them
// (--pre-restore --confirm DB) or those older than [backup] keep_pre_restore.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::backup {

struct PreRestoreDatabase {
    std::string name;
    std::optional<std::chrono::system_clock::time_point> kept_at;  // from the name's stamp
    int64_t bytes = 0;                                             // pg_database_size
};

// The name a swap gives the replaced database: database (cut to 31 bytes, so
// that the whole name fits PostgreSQL's 63), "_pre_restore_", the lower-case
// UTC stamp of at ("20261122t055315z"), and for the ordinal-th swap of that
// second (2..99) "_<ordinal>".
std::string pre_restore_name(const std::string& database, std::chrono::system_clock::time_point at,
                             int ordinal = 1);

// The first pre_restore_name of database at `at` that no database on the
// session's server has (two swaps may happen within one second). Throws
// DbError, or sm::Error (refused) when all 99 are taken.
std::string unused_pre_restore_name(db::Session& session, const std::string& database,
                                    std::chrono::system_clock::time_point at);

// The time in a pre_restore_name of database, or std::nullopt when name is
// not one.
std::optional<std::chrono::system_clock::time_point> pre_restore_time(const std::string& database,
                                                                      const std::string& name);

// database's pre-restore databases on the session's server, oldest first.
// Throws DbError.
std::vector<PreRestoreDatabase> list_pre_restore(db::Session& session, const std::string& database);

struct PreRestoreDecision {
    std::string name;
    bool drop = false;
    std::string
        reason;  // "--pre-restore", "older than 7d", "younger than 7d", "no keep_pre_restore"
};

// all: every one goes (--pre-restore); otherwise those kept longer than
// keep_for go, and none when keep_for is unset. One decision per database.
std::vector<PreRestoreDecision> decide_pre_restore(
    const std::vector<PreRestoreDatabase>& databases,
    std::optional<std::chrono::milliseconds> keep_for, bool all,
    std::chrono::system_clock::time_point now);

// DROP DATABASE name from a session on another database; refuses (DbError)
// while anyone is connected to it.
void drop_database(db::Session& maintenance, const std::string& name);

}  // namespace sm::backup
