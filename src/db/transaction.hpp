#pragma once
// Explicit transactions on a Session (which runs in autocommit otherwise).

#include <functional>

#include "db/session.hpp"

namespace sm::db {

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
