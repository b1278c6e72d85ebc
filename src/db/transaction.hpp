#pragma once
// Explicit transactions on a Session (which runs in autocommit otherwise): the
// timeouts every transaction safe-migrate opens runs under, and the one runner
// that applies a migration's or a seed's transaction with its lock-timeout
// retries.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
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
// (core::to_pg_setting values; 0 means no limit), for the statements that are
// not a migration's or a seed's transaction (those get their limits from
// run_transaction, as set_config(name, value, true)). Pure.
std::string set_timeouts_sql(std::chrono::milliseconds lock_timeout,
                             std::optional<std::chrono::milliseconds> statement_timeout,
                             SettingScope scope);

// Sets lock_timeout and statement_timeout for the session (SET) for the
// lifetime of the object, and RESETs them after (ignoring errors: a lost
// session has nothing to reset). Throws DbError when the SET fails.
class SessionTimeouts {
  public:
    SessionTimeouts(Session& session, std::chrono::milliseconds lock,
                    std::chrono::milliseconds statement);
    ~SessionTimeouts();
    SessionTimeouts(const SessionTimeouts&) = delete;
    SessionTimeouts& operator=(const SessionTimeouts&) = delete;

  private:
    Session& m_session;
};

// Sends ROLLBACK and ignores any error: for cleanup after a failure, when the
// transaction may already be aborted or the connection gone (the server ends
// an open transaction with the session anyway).
void rollback_quietly(Session& session) noexcept;

// begin (BEGIN, or e.g. "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
// body, COMMIT. When body or COMMIT throws, rolls back quietly and rethrows, so
// the session is never left inside a transaction.
void in_transaction(Session& session, const std::function<void()>& body,
                    const char* begin = "BEGIN");

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// timeout (0: none) capped to what is left until deadline, and at least 1ms
// (PostgreSQL reads 0 as no limit): the timeouts of a statement that must not
// outlast the run's time limit. timeout itself when there is no deadline.
std::chrono::milliseconds capped_timeout(std::chrono::milliseconds timeout,
                                         const Deadline& deadline);

// Waits before attempt + 1 after a lock timeout, given the backoff's jittered
// delay; false when interrupted.
using RetryWait = std::function<bool(int attempt, std::chrono::milliseconds delay)>;

// A transaction's limits, and how it is retried after a lock timeout.
struct TransactionLimits {
    std::chrono::milliseconds lock_timeout{0};       // SET LOCAL lock_timeout (0: none)
    std::chrono::milliseconds statement_timeout{0};  // SET LOCAL statement_timeout (0: none)
    int lock_retries = 0;                            // further attempts after a lock timeout
    std::chrono::milliseconds retry_base_delay{0};
    std::chrono::milliseconds retry_max_delay{0};
    // Further settings for the transaction, SET LOCAL with BEGIN: name and
    // value (both sent as parameters of set_config(name, value, true)).
    std::vector<std::pair<std::string, std::string>> settings;
    // The run's time limit: each attempt's timeouts are capped to what is left
    // of it (capped_timeout), and no retry starts after it.
    Deadline deadline;
    // How to wait between attempts; empty: sleep the delay.
    RetryWait wait;
};

// The limits of [execute]: its timeouts, lock retries and backoff.
TransactionLimits transaction_limits(const core::ExecuteSettings& settings);

// Thrown by run_transaction when SIGINT/SIGTERM arrives while it waits to
// retry after a lock timeout: that attempt was rolled back, nothing of the
// body is committed. It is a DbError like a cancelled statement (57014), so a
// caller that handles interrupts one way needs no other case.
class RetryWaitInterrupted : public DbError {
  public:
    RetryWaitInterrupted() : DbError("57014", "canceling statement due to user request") {}
};

// Told that an attempt (counted from 0) ended in a lock timeout and that the
// transaction runs again after delay.
using LockRetryNotice = std::function<void(int attempt, std::chrono::milliseconds delay)>;

// Runs body in one transaction on session and commits it: BEGIN and the
// settings of limits in one round trip (one statement, prepared once per
// connection: set_config(name, value, true) for each, which is SET LOCAL),
// body (which sends the statements), then COMMIT. Meanwhile SIGINT/SIGTERM
// cancel the session's running statement (util::ScopedCancelHook); an
// interrupt that already arrived stops it before BEGIN with a cancelled DbError.
//
// On a lock timeout (SQLSTATE 55P03) the transaction is rolled back and, up to
// limits.lock_retries times and unless an interrupt arrived, on_retry is told,
// the runner waits (core::Backoff: exponential with full jitter; or
// limits.wait) and runs the whole transaction again, body included, unless
// limits.deadline has passed: then the lock timeout is thrown.
//
// Throws what ended the last attempt: a DbError, or anything body threw. The
// session is then outside any transaction (rolled back), except after a lost
// connection (connection_lost), where the server ends it. Throws
// RetryWaitInterrupted when an interrupt arrives during a wait.
void run_transaction(Session& session, const TransactionLimits& limits,
                     const std::function<void()>& body, const LockRetryNotice& on_retry);

// Told that an attempt of a batch ended in a lock timeout at statement index
// (statements.size(): BEGIN, the settings or COMMIT) and runs again after delay.
using BatchRetryNotice =
    std::function<void(int attempt, std::chrono::milliseconds delay, size_t index)>;

// run_transaction in one round trip: BEGIN, the settings of limits,
// statements and COMMIT sent as one batch (Session::exec_batch), retried as a
// whole after a lock timeout like run_transaction, with the same interrupt
// handling. Returns the results of statements. Throws BatchError (index: the
// failing statement of statements, or statements.size() when BEGIN, the
// settings or COMMIT failed) or RetryWaitInterrupted; the session is then outside any
// transaction as for run_transaction.
//
// With ahead (sending ahead, Session::send_batch): the first attempt was sent
// already by send_transaction_batch (ahead.sent: it is only received), and/or
// ahead.then runs once it is sent and before it is waited for, to send the
// next transaction behind it. An interrupt that finds the first attempt in
// flight cancels it and takes its result: it may have committed. Later
// attempts go alone.
struct SendAhead {
    bool sent = false;
    std::function<void()> then;
    // Told when the first attempt fails: whatever then sent was dropped (the
    // server skipped it), whether the transaction is retried or not.
    std::function<void()> dropped;
};
std::vector<QueryResult> run_transaction_batch(Session& session, const TransactionLimits& limits,
                                               const std::vector<BatchStatement>& statements,
                                               const BatchRetryNotice& on_retry,
                                               const SendAhead& ahead = {});

// Sends the first attempt of run_transaction_batch(session, limits,
// statements, ..., {.sent = true}) now, behind any batch in flight, without
// waiting. Throws BatchError (the connection).
void send_transaction_batch(Session& session, const TransactionLimits& limits,
                            const std::vector<BatchStatement>& statements);

// What a retry after a lock timeout says, in the log and in the events, for
// migrations and seeds alike: "lock timeout at 1_add.up.sql:3 (attempt 1 of 6);
// retrying in 420ms". With waits_for ("blocked by pid 4242; retrying as soon as
// it ends"), the retry waits for that, delay at the most: "...; blocked by pid
// 4242; retrying as soon as it ends (at most 420ms)".
std::string lock_retry_message(const std::string& where, int attempt, int lock_retries,
                               std::chrono::milliseconds delay, const std::string& waits_for = {});

}  // namespace sm::db
