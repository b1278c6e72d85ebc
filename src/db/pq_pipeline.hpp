#pragma once
// libpq's pipeline mode and prepared statements, for what libpqxx 6 cannot do
// (PqxxSession::exec_batch and exec_prepared in session_pqxx.cpp), and the
// error text both read.
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

// Runs statements on conn in one round trip (pipeline mode: each its own
// extended-protocol query, one Sync at the end), as Session::exec_batch says:
// returns each one's result, or throws BatchError naming the first that failed
// (connection_lost set when the connection is gone). Statements marked
// prepared are prepared on conn once (recorded in known) and only bound and
// executed after, unless the batch may drop prepared statements itself
// (BatchPrepared::forget_if_dropped_by): then every statement goes unnamed.
std::vector<QueryResult> run_pipeline(PGconn* conn, const std::vector<BatchStatement>& statements,
                                      BatchPrepared& known);

// How one statement of a pipeline was sent: unnamed (name empty), or as the
// prepared statement name, its Prepare sent first when prepare is set.
struct SentAs {
    std::string name;
    bool prepare = false;
};

// Batches sent ahead on one connection (Session::send_batch and
// receive_batch): in pipeline mode, each followed by a Flush and none by a
// Sync, so the server runs each the moment the one before it ends, and after
// a failure skips every later one. The Sync goes when the last batch sent is
// received, or one fails. Any error leaves the connection out of pipeline mode
// with nothing in flight (a lost connection: nothing to receive).
class SentAhead {
  public:
    // Sends statements behind those sent before. Throws BatchError.
    void send(PGconn* conn, const std::vector<BatchStatement>& statements, BatchPrepared& known);
    // The oldest batch's results, or its BatchError (the batches sent after it
    // are dropped: the server skipped them). std::logic_error when none is sent.
    std::vector<QueryResult> receive(PGconn* conn, BatchPrepared& known);
    bool empty() const { return m_sent.empty(); }

  private:
    struct Batch {
        std::vector<BatchStatement> statements;
        std::vector<SentAs> as;
    };
    void abandon(PGconn* conn) noexcept;

    std::deque<Batch> m_sent;
};

}  // namespace sm::db
