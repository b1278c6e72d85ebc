#include "support/fake_session.hpp"

#include "support/sequence.hpp"
#include "util/error.hpp"

namespace sm::test {

SqlMatch SqlMatch::substring(std::string text) {
    SqlMatch m;
    m.m_pattern = std::move(text);
    return m;
}

SqlMatch SqlMatch::regex(const std::string& pattern) {
    SqlMatch m;
    m.m_pattern = pattern;
    m.m_regex.emplace(pattern, std::regex::ECMAScript | std::regex::icase);
    return m;
}

bool SqlMatch::matches(const std::string& sql) const {
    if (m_regex) {
        return std::regex_search(sql, *m_regex);
    }
    return sql.find(m_pattern) != std::string::npos;
}

db::QueryResult column(std::vector<db::Value> values) {
    db::QueryResult r;
    r.columns = {"?column?"};
    for (auto& v : values) {
        r.rows.push_back({std::move(v)});
    }
    return r;
}

db::QueryResult row(db::Row values) {
    return rows({std::move(values)});
}

db::QueryResult rows(std::vector<db::Row> values) {
    db::QueryResult r;
    if (!values.empty()) {
        r.columns.resize(values.front().size(), "?column?");
    }
    r.rows = std::move(values);
    return r;
}

// One session of a FakeDatabase: everything goes to the database's log and rules.
class FakeSession : public db::Session {
  public:
    FakeSession(FakeDatabase& db, std::string role, int pid)
        : m_db(db), m_role(std::move(role)), m_pid(pid) {}

    db::QueryResult exec(const std::string& sql) override { return m_db.run(m_role, sql, {}); }
    db::QueryResult exec_params(const std::string& sql,
                                const std::vector<db::Value>& params) override {
        return m_db.run(m_role, sql, params);
    }
    void cancel() noexcept override {}
    int backend_pid() const override { return m_pid; }
    int server_version() const override { return m_db.server_version; }
    std::string display_name() const override { return "postgresql://deployer@db.test:5432/app"; }

  private:
    FakeDatabase& m_db;
    std::string m_role;
    int m_pid;
};

FakeDatabase::FakeDatabase() {
    // A healthy, empty primary (fake_session.hpp). The SQL fragments are the
    // ones db/ and executor/ send.
    answer("pg_is_in_recovery()", column({"f"}));
    answer("pg_try_advisory_lock(", column({"t"}));
    answer("pg_advisory_unlock(", column({"t"}));
    answer("l.locktype = 'advisory'", {});  // nobody else holds the migration lock
    answer("to_regclass('safe_migrate.history')", column({"t"}));
    answer("FILTER (WHERE c IS NULL)", column({"f"}));  // history schema not current: made
    answer("tool_version FROM safe_migrate.history", {});
    answer("run_id FROM safe_migrate.progress", {});
    answer("FROM pg_stat_replication", {});
    answer("WITH ORDINALITY", {});                 // existing_relations: none of them yet
    answer("SELECT 1 FROM pg_locks", {});          // the blocker probe: nobody
    answer("string_agg(DISTINCT l.relation", {});  // the blockers themselves
    answer("inet_server_addr()", row({"db.test", "5432", "app", "7300000000000000001", "150004"}));
    answer("pg_total_relation_size(c.oid)", {});
    answer("sum(c.relpages)", column({"0"}));
}

void FakeDatabase::answer(SqlMatch match, db::QueryResult result) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_rules.push_back({std::move(match), std::move(result), std::nullopt, "", false});
}

void FakeDatabase::answer(const std::string& substring, db::QueryResult result) {
    answer(SqlMatch::substring(substring), std::move(result));
}

void FakeDatabase::fail(SqlMatch match, std::string sqlstate, std::string message,
                        bool connection_lost) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_rules.push_back(
        {std::move(match), {}, std::move(sqlstate), std::move(message), connection_lost});
}

void FakeDatabase::fail(const std::string& substring, std::string sqlstate, std::string message) {
    fail(SqlMatch::substring(substring), std::move(sqlstate), std::move(message));
}

void FakeDatabase::fail_times(const std::string& substring, int times, std::string sqlstate,
                              std::string message) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_rules.push_back(
        {SqlMatch::substring(substring), {}, std::move(sqlstate), std::move(message)});
    m_rules.back().remaining = times;
}

void FakeDatabase::refuse_connections(std::string reason) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_refuse = std::move(reason);
}

std::unique_ptr<db::Session> FakeDatabase::connect(const std::string& role) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_refuse) {
        throw Error(ExitCode::db_unreachable, "cannot connect to the database: " + *m_refuse);
    }
    m_connections.push_back(role);
    return std::make_unique<FakeSession>(*this, role, m_next_pid++);
}

db::QueryResult FakeDatabase::run(const std::string& role, const std::string& sql,
                                  const std::vector<db::Value>& params) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_log.push_back({next_sequence(), role, sql, params});
    for (size_t i = m_rules.size(); i-- > 0;) {  // the latest rule first
        Rule& rule = m_rules[i];
        if (rule.remaining == 0 || !rule.match.matches(sql)) {
            continue;
        }
        if (rule.remaining > 0) {
            --rule.remaining;
        }
        if (rule.sqlstate) {
            throw db::DbError(*rule.sqlstate, rule.message, rule.connection_lost);
        }
        return rule.result;
    }
    return {};
}

std::vector<RanStatement> FakeDatabase::statements() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_log;
}

std::vector<RanStatement> FakeDatabase::statements_of(const std::string& role) const {
    std::vector<RanStatement> out;
    for (auto& s : statements()) {
        if (s.role == role) {
            out.push_back(std::move(s));
        }
    }
    return out;
}

std::vector<std::string> FakeDatabase::connections() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_connections;
}

std::optional<RanStatement> FakeDatabase::first(const std::string& text,
                                                const std::optional<std::string>& role) const {
    for (auto& s : statements()) {
        if (s.sql.find(text) != std::string::npos && (!role || s.role == *role)) {
            return s;
        }
    }
    return std::nullopt;
}

std::optional<RanStatement> FakeDatabase::last(const std::string& text,
                                               const std::optional<std::string>& role) const {
    std::optional<RanStatement> found;
    for (auto& s : statements()) {
        if (s.sql.find(text) != std::string::npos && (!role || s.role == *role)) {
            found = std::move(s);
        }
    }
    return found;
}

bool FakeDatabase::ran(const std::string& text) const {
    return first(text).has_value();
}

}  // namespace sm::test
