#pragma once
// A scriptable stand-in for the target database, for unit tests of code that
// talks through db::Session (the deploy pipeline): no server, no network.
//
// A FakeDatabase hands out sessions (connect(role)); every statement any of
// them runs is recorded with its parameters, the role of the session that ran
// it and its place in the sequence (sequence.hpp). Each statement is answered
// by the newest rule whose pattern matches its SQL: a canned result, or a
// db::DbError thrown with a SQLSTATE. A statement no rule matches returns an
// empty result.
//
// The defaults describe a healthy, empty primary: not in recovery, the
// migration lock granted and held by nobody else, the history schema present
// and empty, no replicas, no relation of the project's tables yet, no
// blockers, an identity row (host db.test, database app, PostgreSQL 15),
// and an empty database for backup estimates.

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sm::test {

// Which statements a rule answers.
class SqlMatch {
  public:
    // SQL that contains text (case-sensitive).
    static SqlMatch substring(std::string text);
    // SQL in which the ECMAScript regex pattern finds a match (case-insensitive).
    static SqlMatch regex(const std::string& pattern);

    bool matches(const std::string& sql) const;
    const std::string& pattern() const { return m_pattern; }

  private:
    std::string m_pattern;
    std::optional<std::regex> m_regex;
};

// One statement a fake session ran.
struct RanStatement {
    size_t seq = 0;    // its place in the sequence shared by all fakes
    std::string role;  // the session's role: "lock" (control), "" (migration)
    std::string sql;
    std::vector<db::Value> params;
};

// A result of one column and one row per value (a value may be SQL NULL).
db::QueryResult column(std::vector<db::Value> values);
// A result of one row.
db::QueryResult row(db::Row values);
// A result of one row per element.
db::QueryResult rows(std::vector<db::Row> values);

class FakeDatabase {
  public:
    FakeDatabase();  // with the defaults above
    FakeDatabase(const FakeDatabase&) = delete;
    FakeDatabase& operator=(const FakeDatabase&) = delete;

    // Statements matching match return result (newest rule first).
    void answer(SqlMatch match, db::QueryResult result);
    void answer(const std::string& substring, db::QueryResult result);
    // Statements matching match throw db::DbError(sqlstate, message, connection_lost).
    void fail(SqlMatch match, std::string sqlstate, std::string message,
              bool connection_lost = false);
    void fail(const std::string& substring, std::string sqlstate, std::string message);
    // Only the first times statements containing substring fail; later ones
    // pass to the older rules (a lock timeout that a retry gets past).
    void fail_times(const std::string& substring, int times, std::string sqlstate,
                    std::string message);

    // From now on connect() throws sm::Error(db_unreachable) with reason.
    void refuse_connections(std::string reason);

    // A session of role; the fake's sessions share this database's rules and log.
    // Throws sm::Error(db_unreachable) after refuse_connections.
    std::unique_ptr<db::Session> connect(const std::string& role);

    // Every statement so far, in the order they ran.
    std::vector<RanStatement> statements() const;
    // Those run by sessions of role.
    std::vector<RanStatement> statements_of(const std::string& role) const;
    // The roles connected so far, in order.
    std::vector<std::string> connections() const;

    // The first statement whose SQL contains text (on role, when given).
    std::optional<RanStatement> first(const std::string& text,
                                      const std::optional<std::string>& role = {}) const;
    // The last one.
    std::optional<RanStatement> last(const std::string& text,
                                     const std::optional<std::string>& role = {}) const;
    // Whether any statement's SQL contains text.
    bool ran(const std::string& text) const;

    int server_version = 150004;

  private:
    friend class FakeSession;
    struct Rule {
        SqlMatch match;
        db::QueryResult result;
        std::optional<std::string> sqlstate;  // set: throw db::DbError
        std::string message;
        bool connection_lost = false;
        int remaining = -1;  // how many more statements it answers; -1: all
    };

    // Records sql and answers it (FakeSession calls this).
    db::QueryResult run(const std::string& role, const std::string& sql,
                        const std::vector<db::Value>& params);

    mutable std::mutex m_mutex;
    std::vector<Rule> m_rules;  // searched newest first
    std::vector<RanStatement> m_log;
    std::vector<std::string> m_connections;
    std::optional<std::string> m_refuse;
    int m_next_pid = 41000;
};

}  // namespace sm::test
