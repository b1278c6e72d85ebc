#pragma once
// libpq's pipeline mode and prepared statements, for what libpqxx 6 cannot do
// (PqxxSession's exec_batch, exec_prepared, send_batch and receive_batch in
// session_pqxx.cpp), and the error text both read.
// Internal to db/: nothing outside session_pqxx.cpp includes it.

#include <libpq-fe.h>

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/session.hpp"

namespace sm::db {

// "ERROR:  canceling statement due to lock timeout\n" -> "canceling statement
// due to lock timeout", redacted.
std::string primary_message(const char* what);

// PostgreSQL's DETAIL, HINT and CONTEXT fields as DbError::details lines
// ("\n  DETAIL: ..."), redacted; a field's later lines (CONTEXT's call stack)
// follow indented further. Empty fields are left out.
std::string details_text(const std::vector<std::pair<std::string, std::string>>& fields);

// The statements prepared on one connection (SQL text -> name). A
// statement that may drop prepared statements (DEALLOCATE, DISCARD ALL) makes
// it forget them all, as does a new connection.
class BatchPrepared {
  public:
    // The name sql is prepared under on conn, or nullptr.
    const std::string* find(PGconn* conn, const std::string& sql) {
        if (conn != m_conn) {
            m_names.clear();
            m_conn = conn;
        }
        auto it = m_names.find(sql);
        return it == m_names.end() ? nullptr : &it->second;
    }
    // A name for sql, unique on this connection (not yet prepared).
    std::string new_name() { return "sm_batch_" + std::to_string(++m_count); }
    void prepared(const std::string& sql, const std::string& name) { m_names[sql] = name; }
    // Forgets sql's name if it is still name (its Prepare failed or was skipped).
    void forget(const std::string& sql, const std::string& name) {
        auto it = m_names.find(sql);
        if (it != m_names.end() && it->second == name) {
            m_names.erase(it);
        }
    }
    void forget_all() { m_names.clear(); }
    // Forgets every name when sql may drop prepared statements. True if it may.
    bool forget_if_dropped_by(const std::string& sql);

  private:
    // Whether sql holds word (lower case), in any case.
    static bool mentions(const std::string& sql, std::string_view word);

    PGconn* m_conn = nullptr;
    std::map<std::string, std::string> m_names;
    unsigned m_count = 0;
};

// How one statement of a pipeline was sent: unnamed (name empty), or as the
// prepared statement name, its Prepare sent first when prepare is set (sql
// then holds its text, to forget the name if the Prepare does not succeed).
struct SentAs {
    std::string name;
    bool prepare = false;
    std::string sql;
};

// The batches on one connection in libpq's pipeline mode, oldest first: each
// statement its own extended-protocol query. A batch ends either with a Sync
// (Session::exec_batch and exec_prepared: sent alone and received at once, one
// round trip) or with a Flush (Session::send_batch: sent ahead, so the server
// runs it the moment the one before it ends, and after a failure skips every
// later one up to the Sync, which goes when the last batch sent is received or
// one fails).
//
// Statements marked prepared are prepared on the connection once (the Prepare
// goes with the first batch that uses them, and known records the name when
// it is sent, so a batch sent behind reuses it); a Prepare that fails or is
// skipped is forgotten when its result is read. A batch that may drop
// prepared statements itself (BatchPrepared::forget_if_dropped_by) sends
// every statement unnamed. Any error leaves the connection out of pipeline
// mode with nothing in flight.
class Pipeline {
  public:
    enum class End { sync, flush };
    // Sends statements behind those sent before; End::sync only with nothing
    // in flight (std::logic_error). Throws BatchError (with batches in flight,
    // as connection_lost: whether they committed is not known).
    void send(PGconn* conn, const std::vector<BatchStatement>& statements, BatchPrepared& known,
              End end);
    // The oldest batch's results, or its BatchError naming the first statement
    // that failed (connection_lost when the connection is gone); the batches
    // sent after a failed one are dropped (the server skipped them).
    // std::logic_error when none is sent.
    std::vector<QueryResult> receive(PGconn* conn, BatchPrepared& known);
    bool empty() const { return m_sent.empty(); }
    // Throws std::logic_error while a batch sent ahead is not received.
    void expect_idle() const;

  private:
    struct Batch {
        std::vector<SentAs> as;  // each statement's, in order
        bool synced = false;
    };
    // Sends a Sync and reads every batch left (skipped) and the Sync's result,
    // then leaves pipeline mode.
    void finish(PGconn* conn, BatchPrepared& known, size_t index);
    void abandon(PGconn* conn) noexcept;

    std::deque<Batch> m_sent;
};

}  // namespace sm::db
