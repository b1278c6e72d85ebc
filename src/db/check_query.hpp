#pragma once
// A post-deploy check's SQL ([[execute.checks]] sql) on the target: the one
// place that runs it, so execute and `safe-migrate check` judge it alike.

#include <chrono>
#include <string>

#include "db/session.hpp"

namespace sm::db {

struct CheckAnswer {
    bool passed = false;
    // Why it did not pass: "returned false", "returned NULL", "returned no row",
    // or the server's error with its SQLSTATE (redacted); "" when it passed.
    std::string why;
};

// Runs sql in a READ ONLY transaction that is rolled back after (a check
// observes, it never changes the target), with lock_timeout and
// statement_timeout set to timeout. It passes when its (last) result's first
// row's first value is true. A failing statement is an answer, not an
// exception; the session is left outside any transaction.
CheckAnswer run_check_query(Session& session, const std::string& sql,
                            std::chrono::milliseconds timeout);

}  // namespace sm::db
