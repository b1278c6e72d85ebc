#pragma once
// A connection to the target database: the I/O boundary of every module that
// talks to the target.
//
// Session is a small interface so the logic above it can be driven by tests;
// connect() returns the real one, the only code that includes libpqxx.
// Statements run in autocommit unless the caller sends BEGIN itself.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sm::db {

// A failed statement, with PostgreSQL's SQLSTATE ("55P03"). connection_lost is
// set when the server went away (the statement's fate may be unknown).
// details: PostgreSQL's DETAIL, HINT and CONTEXT fields as indented lines
// ("\n  DETAIL: Key (id)=(1) already exists."), redacted, or "". what() is the
// primary message followed by details.
class DbError : public std::runtime_error {
  public:
    DbError(std::string sqlstate, const std::string& message, bool connection_lost = false,
            const std::string& details = {})
        : std::runtime_error(message + details),
          m_sqlstate(std::move(sqlstate)),
          m_connection_lost(connection_lost),
          m_primary(message),
          m_details(details) {}
    const std::string& sqlstate() const { return m_sqlstate; }
    bool connection_lost() const { return m_connection_lost; }
    // The primary message alone (one line), and the detail lines alone.
    const std::string& primary() const { return m_primary; }
    const std::string& details() const { return m_details; }
    bool is_lock_timeout() const { return m_sqlstate == "55P03"; }
    bool is_canceled() const { return m_sqlstate == "57014"; }

  private:
    std::string m_sqlstate;
    bool m_connection_lost;
    std::string m_primary;
    std::string m_details;
};

using Value = std::optional<std::string>;  // std::nullopt is SQL NULL
using Row = std::vector<Value>;

struct QueryResult {
    std::vector<std::string> columns;
    std::vector<Row> rows;
    // The rows an INSERT, UPDATE, DELETE, MERGE, COPY or SELECT affected, as
    // its command tag counts them (the last statement's, for several).
    int64_t affected_rows = 0;

    bool empty() const { return rows.empty(); }
    // The first row's first value; throws std::logic_error when there is none.
    const Value& scalar() const;
};

// One statement of a batch (Session::exec_batch): a single SQL statement, and
// its parameters $1..$n (none: sent as written). A statement marked prepared is
// parsed once per connection, in the first batch that runs it, and only bound
// and executed after (as exec_prepared): for the few statements every
// migration's transaction runs.
struct BatchStatement {
    std::string sql;
    std::vector<Value> params;
    bool prepared = false;
};

// Statement index() of a batch failed; the server skipped those after it.
class BatchError : public DbError {
  public:
    BatchError(const DbError& error, size_t index) : DbError(error), m_index(index) {}
    size_t index() const { return m_index; }

  private:
    size_t m_index;
};

class Session {
  public:
    virtual ~Session() = default;

    // Runs sql (possibly several statements) with the simple query protocol.
    // Throws DbError on failure.
    virtual QueryResult exec(const std::string& sql) = 0;
    // Runs one statement with $1..$n bound to params. Throws DbError on failure.
    virtual QueryResult exec_params(const std::string& sql, const std::vector<Value>& params) = 0;
    // Like exec_params, but the statement is prepared on this connection on
    // first use and reused after: for the few statements every migration runs
    // (history and event rows, the preflight probe), so they are parsed once.
    virtual QueryResult exec_prepared(const std::string& sql, const std::vector<Value>& params) {
        return exec_params(sql, params);
    }
    // Runs statements in order in one round trip and returns each one's result.
    // The real session pipelines them (libpq pipeline mode: each its own
    // extended-protocol query, one Sync at the end); this default runs them one
    // by one, for test doubles. A failing statement ends the batch (the server
    // skips the rest up to the Sync): throws BatchError with its index (a lost
    // connection too, connection_lost set). Inside an explicit transaction the
    // caller rolls back after a failure.
    virtual std::vector<QueryResult> exec_batch(const std::vector<BatchStatement>& statements);
    // Sending ahead: send_batch sends statements as exec_batch would, without
    // waiting, behind the batches sent before and not yet received, so the
    // server starts each the moment the one before it ends (no round trip in
    // between); receive_batch returns the oldest one's results or throws its
    // BatchError. A failed batch drops every batch sent after it (the server
    // skips them: none of their statements runs) and they are not received.
    // While a batch is in flight the session runs nothing else (exec and the
    // others throw std::logic_error). This default runs each batch with
    // exec_batch when it is received, for test doubles.
    virtual void send_batch(const std::vector<BatchStatement>& statements);
    virtual std::vector<QueryResult> receive_batch();
    // Asks the server to cancel what this session is running. Safe to call from
    // another thread; does nothing if the session is idle. Never throws.
    virtual void cancel() noexcept = 0;

    virtual int backend_pid() const = 0;
    virtual int server_version() const = 0;  // e.g. 150004
    // "postgresql://user@host:port/dbname", never with a password.
    virtual std::string display_name() const = 0;

  private:
    std::deque<std::vector<BatchStatement>> m_sent;  // the default send_batch's
};

// Why a connection failed, as an exit code and a hint that fits: invalid_input
// when libpq rejected the settings themselves (sslmode=bogus, port=abc);
// db_unreachable with a hint for a refused connection, an unknown host,
// rejected credentials, a TLS failure, a missing database or a timeout.
// reason: libpq's message, first line.
struct ConnectFailure {
    ExitCode code = ExitCode::db_unreachable;
    std::string hint;
};
ConnectFailure classify_connect_failure(const std::string& reason);

// Connects to conninfo (URL or key=value; empty means libpq's defaults) and sets
// application_name. Throws sm::Error with libpq's reason (one line, redacted)
// and classify_connect_failure's code and hint when the connection fails.
std::unique_ptr<Session> connect(const std::string& conninfo, const std::string& application_name);

// connect() as application_name "<name>/<role>" ("safe-migrate/lock"), or
// just name when role is empty: each of a command's sessions says what it is.
std::unique_ptr<Session> connect_as(const std::string& conninfo, const std::string& name,
                                    const std::string& role);

}  // namespace sm::db
