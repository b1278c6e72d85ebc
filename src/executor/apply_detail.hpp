#pragma once
// What apply.cpp and apply_autocommit.cpp share: internal to executor/ (no
// other module includes it).

#include <chrono>
#include <optional>
#include <string>

#include "executor/apply.hpp"

namespace sm::executor::detail {

using Clock = std::chrono::steady_clock;

// The script's own timeouts, else the run's.
std::chrono::milliseconds lock_timeout_of(const RunContext& ctx, const core::Script& s);
std::chrono::milliseconds statement_timeout_of(const RunContext& ctx, const core::Script& s);
// "1_add.up.sql:3" (the statement's line), or the file's name without one.
std::string where(const core::Script& script, const core::Statement* statement);
// The error's message, SQLSTATE and details, redacted.
std::string db_message(const db::DbError& e);
// Records event kind of m on the control session.
void event(RunContext& ctx, const core::Migration& m, const std::string& kind,
           const std::string& message);
// Records migration.interrupted and throws sm::Error(interrupted).
[[noreturn]] void throw_interrupted(RunContext& ctx, const core::Migration& m,
                                    const std::string& what_happened);
// Throws a cancelled db::DbError when an interrupt arrived.
void check_interrupt();
// Whether e stopped a statement because the run's time limit was reached.
bool out_of_time(const RunContext& ctx, const db::DbError& e);
std::string time_limit_message(const RunContext& ctx, const core::Migration& m,
                               const std::string& at);

// Applies a no-transaction up script statement by statement in autocommit,
// with its progress row (resumable from resume), then its history row.
std::chrono::milliseconds apply_without_transaction(
    RunContext& ctx, const core::Migration& m, const core::Script& up,
    const std::optional<db::PartialMigration>& resume);

}  // namespace sm::executor::detail
