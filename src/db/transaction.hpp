#pragma once
// Explicit transactions on a Session (which runs in autocommit otherwise), and
// the timeouts every transaction safe-migrate opens runs under.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "db/session.hpp"

namespace sm::db {

// The lock_timeout of safe-migrate's own short bookkeeping statements (creating
// the history schema, recording a protected target): long enough to queue
// behind a short transaction, short enough never to hold up the target's
// traffic behind a lock it waits for.
inline constexpr std::chrono::milliseconds k_bookkeeping_lock_timeout{5000};

// Where a SET applies: until the end of the current transaction (SET LOCAL),
// or for the rest of the session (SET; the caller RESETs it).
enum class SettingScope { transaction, session };

// The SQL that sets lock_timeout, and statement_timeout when given, for scope:
// "SET LOCAL lock_timeout = '5000ms'; SET LOCAL statement_timeout = '0'"
// (core::to_pg_setting values; 0 means no limit). Every SET of these two
// settings safe-migrate sends is rendered here. Pure.
std::string set_timeouts_sql(std::chrono::milliseconds lock_timeout,
                             std::optional<std::chrono::milliseconds> statement_timeout,
                             SettingScope scope);

// Sends ROLLBACK and ignores any error: for cleanup after a failure, when the
// transaction may already be aborted or the connection gone (the server ends
// an open transaction with the session anyway).
void rollback_quietly(Session& session) noexcept;

// begin (BEGIN, or e.g. "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
// body, COMMIT. When body or COMMIT throws, rolls back quietly and rethrows, so
// the session is never left inside a transaction.
void in_transaction(Session& session, const std::function<void()>& body,
                    const char* begin = "BEGIN");

}  // namespace sm::db
