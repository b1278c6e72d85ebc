// The libpqxx implementation of Session. Nothing else includes <pqxx/...>.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <pqxx/pqxx>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "db/session.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::db {
namespace {

// "ERROR:  canceling statement due to lock timeout\n" -> "canceling statement due to lock timeout"
std::string primary_message(const char* what) {
    std::string text = what;
    for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
        if (util::starts_with(text, prefix)) {
            text = text.substr(std::char_traits<char>::length(prefix));
        }
    }
    size_t nl = text.find('\n');
    if (nl != std::string::npos) {
        text = text.substr(0, nl);
    }
    return util::redact_text(text);
}

// PostgreSQL's DETAIL, HINT and CONTEXT fields as DbError::details lines
// ("\n  DETAIL: ..."), redacted; a field's later lines (CONTEXT's call stack)
// follow indented further. Empty fields are left out.
std::string details_text(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [label, value] : fields) {
        std::string text(util::trim(value));
        if (text.empty()) {
            continue;
        }
        out += "\n  " + label + ": ";
        for (char c : util::redact_text(text)) {
            out += c == '\n' ? std::string("\n    ") : std::string(1, c);
        }
    }
    return out;
}

// The DETAIL, HINT and CONTEXT fields of libpq's full error text ("ERROR:  x\n
// LINE 1: ...\nDETAIL:  y\nHINT:  z\nCONTEXT:  c\n"). The statement position
// (LINE, caret) and QUERY/STATEMENT echo SQL and are left out.
std::string details_of(const char* what) {
    static const std::vector<std::string> k_labels = {"DETAIL", "HINT",      "CONTEXT",
                                                      "QUERY",  "STATEMENT", "LOCATION"};
    std::vector<std::pair<std::string, std::string>> fields;
    std::string current;  // the label of the field being read, or "" (skip)
    std::string text = what;
    size_t start = text.find('\n');
    while (start != std::string::npos && start + 1 < text.size()) {
        size_t end = text.find('\n', start + 1);
        std::string line = text.substr(start + 1, end == std::string::npos ? end : end - start - 1);
        start = end;
        std::string label = line.substr(0, line.find(':'));
        bool labelled = std::find(k_labels.begin(), k_labels.end(), label) != k_labels.end();
        if (labelled || util::starts_with(line, "LINE ")) {
            current = labelled && label != "QUERY" && label != "STATEMENT" && label != "LOCATION"
                          ? label
                          : "";
            if (!current.empty()) {
                fields.emplace_back(current, line.substr(label.size() + 1));
            }
        } else if (!current.empty()) {
            fields.back().second += "\n" + std::string(util::trim(line));
        }
    }
    return details_text(fields);
}

// Routes server notices (e.g. "relation exists, skipping") to the debug log
// instead of libpq's default of printing them on stderr.
class NoticeToLog : public pqxx::errorhandler {
  public:
    explicit NoticeToLog(pqxx::connection_base& c) : pqxx::errorhandler(c) {}
    bool operator()(const char msg[]) noexcept override {
        try {
            core::log_debug("server: " + std::string(util::trim(msg)));
        } catch (...) {
        }
        return false;
    }
};

QueryResult convert(const pqxx::result& r) {
    QueryResult out;
    out.affected_rows = static_cast<int64_t>(r.affected_rows());
    for (pqxx::row::size_type c = 0; c < r.columns(); ++c) {
        out.columns.emplace_back(r.column_name(c));
    }
    out.rows.reserve(r.size());
    for (const auto& row : r) {
        Row values;
        values.reserve(row.size());
        for (const auto& field : row) {
            values.push_back(field.is_null() ? Value{} : Value{field.c_str()});
        }
        out.rows.push_back(std::move(values));
    }
    return out;
}

// libpqxx 6 keeps its PGconn to itself; this connection policy remembers it,
// for the one thing libpqxx cannot do: pipeline mode (exec_batch).
class RememberingPolicy final : public pqxx::connect_direct {
  public:
    using pqxx::connect_direct::connect_direct;
    handle do_startconnect(handle orig) override {
        m_handle = pqxx::connect_direct::do_startconnect(orig);
        return m_handle;
    }
    handle do_completeconnect(handle orig) override {
        m_handle = pqxx::connect_direct::do_completeconnect(orig);
        return m_handle;
    }
    handle do_dropconnect(handle orig) noexcept override {
        m_handle = nullptr;
        return pqxx::connect_direct::do_dropconnect(orig);
    }
    handle do_disconnect(handle orig) noexcept override {
        m_handle = nullptr;
        return pqxx::connect_direct::do_disconnect(orig);
    }
    PGconn* raw() const { return m_handle; }

  private:
    handle m_handle = nullptr;
};

// pqxx::connection, with the PGconn at hand (as basic_connection_base builds it).
class Connection final : public pqxx::connection_base {
  public:
    explicit Connection(const std::string& options)
        : pqxx::connection_base(m_policy), m_options(options), m_policy(m_options) {
        init();
    }
    ~Connection() noexcept { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    PGconn* raw() const { return m_policy.raw(); }

  private:
    std::string m_options;  // before m_policy, which keeps a reference
    RememberingPolicy m_policy;
};

// A result of a batch: rows, or the error it carries.
QueryResult convert_raw(const PGresult* r) {
    QueryResult out;
    out.affected_rows = std::atoll(PQcmdTuples(const_cast<PGresult*>(r)));
    int columns = PQnfields(r);
    for (int c = 0; c < columns; ++c) {
        out.columns.emplace_back(PQfname(r, c));
    }
    int count = PQntuples(r);
    out.rows.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        Row values;
        values.reserve(static_cast<size_t>(columns));
        for (int c = 0; c < columns; ++c) {
            values.push_back(PQgetisnull(r, i, c) != 0 ? Value{} : Value{PQgetvalue(r, i, c)});
        }
        out.rows.push_back(std::move(values));
    }
    return out;
}

DbError raw_error(PGconn* conn, const PGresult* r) {
    if (PQstatus(conn) == CONNECTION_BAD) {
        return DbError(
            "08006", "connection to the server was lost: " + primary_message(PQerrorMessage(conn)),
            true);
    }
    if (r == nullptr) {
        return DbError("XX000", primary_message(PQerrorMessage(conn)));
    }
    auto field = [r](int code) {
        const char* v = PQresultErrorField(r, code);
        return std::string(v != nullptr ? v : "");
    };
    std::string state = field(PG_DIAG_SQLSTATE);
    std::string text = field(PG_DIAG_MESSAGE_PRIMARY);
    return DbError(state.empty() ? "XX000" : state,
                   text.empty() ? primary_message(PQerrorMessage(conn)) : util::redact_text(text),
                   false,
                   details_text({{"DETAIL", field(PG_DIAG_MESSAGE_DETAIL)},
                                 {"HINT", field(PG_DIAG_MESSAGE_HINT)},
                                 {"CONTEXT", field(PG_DIAG_CONTEXT)}}));
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr next_result(PGconn* conn) {
    return {PQgetResult(conn), &PQclear};
}

// The statements batches prepared on one connection (SQL text -> name). A
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
    // Forgets every name when sql may drop prepared statements. True if it may.
    bool forget_if_dropped_by(const std::string& sql) {
        if (!mentions(sql, "deallocate") && !mentions(sql, "discard")) {
            return false;
        }
        m_names.clear();
        return true;
    }

  private:
    // Whether sql holds word (lower case), in any case.
    static bool mentions(const std::string& sql, std::string_view word) {
        auto same = [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == static_cast<unsigned char>(b);
        };
        return std::search(sql.begin(), sql.end(), word.begin(), word.end(), same) != sql.end();
    }

    PGconn* m_conn = nullptr;
    std::map<std::string, std::string> m_names;
    unsigned m_count = 0;
};

// How one statement of a pipeline was sent: unnamed (name empty), or as the
// prepared statement name, its Prepare sent first when prepare is set.
struct SentAs {
    std::string name;
    bool prepare = false;
};

// Sends statements and a Sync in pipeline mode: one round trip. Statements
// marked prepared go as prepared statements (prepared first when new), unless
// the batch may drop prepared statements itself: then all go unnamed.
std::vector<SentAs> send_pipeline(PGconn* conn, const std::vector<BatchStatement>& statements,
                                  BatchPrepared& known) {
    bool unnamed = false;
    for (const auto& s : statements) {
        unnamed = (!s.prepared && known.forget_if_dropped_by(s.sql)) || unnamed;
    }
    std::vector<SentAs> sent(statements.size());
    for (size_t i = 0; i < statements.size(); ++i) {
        const auto& s = statements[i];
        std::vector<const char*> values;
        values.reserve(s.params.size());
        for (const auto& p : s.params) {
            values.push_back(p ? p->c_str() : nullptr);
        }
        const int count = static_cast<int>(values.size());
        int ok = 1;
        if (s.prepared && !unnamed) {
            const std::string* name = known.find(conn, s.sql);
            sent[i] = name != nullptr ? SentAs{*name, false} : SentAs{known.new_name(), true};
            if (sent[i].prepare) {
                ok = PQsendPrepare(conn, sent[i].name.c_str(), s.sql.c_str(), count, nullptr);
            }
            ok = ok == 1 ? PQsendQueryPrepared(conn, sent[i].name.c_str(), count, values.data(),
                                               nullptr, nullptr, 0)
                         : ok;
        } else {
            ok = PQsendQueryParams(conn, s.sql.c_str(), count, nullptr, values.data(), nullptr,
                                   nullptr, 0);
        }
        if (ok != 1) {
            throw BatchError(raw_error(conn, nullptr), i);
        }
    }
    if (PQpipelineSync(conn) != 1) {
        throw BatchError(raw_error(conn, nullptr), 0);
    }
    return sent;
}

// Reads one query's result (which ends with a null) from a pipeline. A lost
// connection throws, naming statement index.
ResultPtr read_one(PGconn* conn, size_t index) {
    ResultPtr r = next_result(conn);
    if (!r || PQstatus(conn) == CONNECTION_BAD) {
        throw BatchError(raw_error(conn, r.get()), index);
    }
    while (ResultPtr extra = next_result(conn)) {
        if (PQstatus(conn) == CONNECTION_BAD) {
            throw BatchError(raw_error(conn, extra.get()), index);
        }
    }
    return r;
}

// Reads the results of a pipeline sent by send_pipeline, up to its Sync, and
// records the statements it prepared.
std::vector<QueryResult> read_pipeline(PGconn* conn, const std::vector<BatchStatement>& statements,
                                       const std::vector<SentAs>& sent, BatchPrepared& known) {
    std::vector<QueryResult> results;
    std::optional<BatchError> failed;
    auto record_failure = [&](const PGresult* r, size_t i) {
        if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED && !failed) {
            failed.emplace(raw_error(conn, r), i);
        }
    };
    for (size_t i = 0; i < statements.size(); ++i) {
        if (sent[i].prepare) {
            ResultPtr prepared = read_one(conn, i);
            if (PQresultStatus(prepared.get()) == PGRES_COMMAND_OK) {
                known.prepared(statements[i].sql, sent[i].name);
            } else {
                record_failure(prepared.get(), i);
            }
        }
        ResultPtr r = read_one(conn, i);
        ExecStatusType status = PQresultStatus(r.get());
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            results.push_back(convert_raw(r.get()));
        } else {
            record_failure(r.get(), i);
        }
    }
    ResultPtr sync = next_result(conn);
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
        throw BatchError(raw_error(conn, sync.get()),
                         statements.empty() ? 0 : statements.size() - 1);
    }
    if (failed) {
        throw *failed;
    }
    return results;
}

class PqxxSession final : public Session {
  public:
    PqxxSession(const std::string& conninfo, const std::string& application_name)
        : m_conn(conninfo), m_notices(m_conn) {
        exec_params("SELECT set_config('application_name', $1, false)", {application_name});
        m_display = "postgresql://" + std::string(m_conn.username()) + "@" + host() + ":" +
                    std::string(m_conn.port()) + "/" + std::string(m_conn.dbname());
    }

    QueryResult exec(const std::string& sql) override {
        m_batch_prepared.forget_if_dropped_by(sql);
        return run([&](pqxx::nontransaction& tx) { return tx.exec(sql); });
    }

    QueryResult exec_params(const std::string& sql, const std::vector<Value>& params) override {
        return run([&](pqxx::nontransaction& tx) {
            auto raw = raw_params(params);
            return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(raw));
        });
    }

    QueryResult exec_prepared(const std::string& sql, const std::vector<Value>& params) override {
        auto it = m_prepared.find(sql);
        if (it == m_prepared.end()) {
            std::string name = "sm_" + std::to_string(m_prepared.size() + 1);
            run([&](pqxx::nontransaction&) {
                m_conn.prepare(name, sql);
                return pqxx::result();
            });
            it = m_prepared.emplace(sql, name).first;
        }
        const std::string& name = it->second;
        return run([&](pqxx::nontransaction& tx) {
            auto raw = raw_params(params);
            return tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(raw));
        });
    }

    std::vector<QueryResult> exec_batch(const std::vector<BatchStatement>& statements) override {
        PGconn* conn = m_conn.raw();
        if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
            throw BatchError(DbError("08006", "connection to the server was lost", true), 0);
        }
        if (PQenterPipelineMode(conn) != 1) {
            throw BatchError(raw_error(conn, nullptr), 0);
        }
        std::vector<QueryResult> results;
        try {
            auto sent = send_pipeline(conn, statements, m_batch_prepared);
            results = read_pipeline(conn, statements, sent, m_batch_prepared);
        } catch (...) {
            PQexitPipelineMode(conn);
            throw;
        }
        PQexitPipelineMode(conn);
        return results;
    }

    void cancel() noexcept override {
        try {
            m_conn.cancel_query();
        } catch (...) {
        }
    }

    int backend_pid() const override { return m_conn.backendpid(); }
    int server_version() const override { return m_conn.server_version(); }
    std::string display_name() const override { return m_display; }

  private:
    std::string host() {
        const char* h = m_conn.hostname();
        std::string host = h != nullptr ? h : "";
        return host.find('/') != std::string::npos ? "[" + host + "]" : host;
    }

    // The parameters as libpq takes them (nullptr for NULL).
    static std::vector<const char*> raw_params(const std::vector<Value>& params) {
        std::vector<const char*> raw;
        raw.reserve(params.size());
        for (const auto& p : params) {
            raw.push_back(p ? p->c_str() : nullptr);
        }
        return raw;
    }

    template <class F>
    QueryResult run(F&& body) {
        try {
            pqxx::nontransaction tx(m_conn);
            QueryResult result = convert(body(tx));
            return result;
        } catch (const pqxx::sql_error& e) {
            throw DbError(e.sqlstate(), primary_message(e.what()), false, details_of(e.what()));
        } catch (const pqxx::broken_connection& e) {
            throw DbError("08006",
                          "connection to the server was lost: " + primary_message(e.what()), true);
        } catch (const pqxx::in_doubt_error& e) {
            throw DbError("08007", "connection lost while committing: " + primary_message(e.what()),
                          true);
        }
    }

    Connection m_conn;
    std::map<std::string, std::string> m_prepared;  // SQL text -> statement name
    BatchPrepared m_batch_prepared;                 // exec_batch's, likewise
    NoticeToLog m_notices;
    std::string m_display;
};

}  // namespace

ConnectFailure classify_connect_failure(const std::string& reason) {
    auto has = [&reason](const char* text) { return reason.find(text) != std::string::npos; };
    const std::string where =
        " (--database-url, DATABASE_URL, the environment's database_url or the PG* variables)";
    // libpq's own checks of the settings, before it tries to connect.
    if (has("invalid sslmode value") || has("invalid integer value") ||
        has("invalid port number") || has("invalid connection option") || has("invalid URI") ||
        (has("invalid ") && has(" value: "))) {
        return {ExitCode::invalid_input,
                "The connection settings are not valid; fix the setting named above" + where + "."};
    }
    if (has("Connection refused") || has("No such file or directory")) {
        return {ExitCode::db_unreachable,
                "Nothing accepts connections at that host and port: check that the server is "
                "running and that the host and port are right" +
                    where + "."};
    }
    if (has("could not translate host name") || has("Name or service not known") ||
        has("Temporary failure in name resolution")) {
        return {ExitCode::db_unreachable, "The host name does not resolve: check its spelling" +
                                              where + " and the machine's DNS."};
    }
    if (has("password authentication failed") || has("no password supplied") ||
        has("authentication failed") || has("no pg_hba.conf entry") ||
        (has("role \"") && has("does not exist"))) {
        return {ExitCode::db_unreachable,
                "The server refused the credentials: check the user and password" + where +
                    ", ~/.pgpass, and the server's pg_hba.conf."};
    }
    if (has("SSL") || has("certificate") || has("GSSAPI")) {
        return {ExitCode::db_unreachable,
                "The TLS handshake failed: check sslmode and the certificates (sslrootcert, "
                "sslcert) against what the server offers."};
    }
    if (has("database \"") && has("does not exist")) {
        return {ExitCode::db_unreachable,
                "The server has no database of that name: check the database name" + where + "."};
    }
    if (has("timeout expired") || has("timed out")) {
        return {ExitCode::db_unreachable,
                "The server did not answer in time: check the host, the port and any firewall "
                "between (connect_timeout sets how long to wait)."};
    }
    return {ExitCode::db_unreachable,
            "Check --database-url, DATABASE_URL or the PG* environment variables. A "
            "transaction-pooling PgBouncer cannot hold the migration lock; connect directly."};
}

const Value& QueryResult::scalar() const {
    if (rows.empty() || rows[0].empty()) {
        throw std::logic_error("query returned no rows");
    }
    return rows[0][0];
}

std::unique_ptr<Session> connect(const std::string& conninfo, const std::string& application_name) {
    try {
        return std::make_unique<PqxxSession>(conninfo, application_name);
    } catch (const pqxx::broken_connection& e) {
        std::string reason = primary_message(e.what());
        ConnectFailure failure = classify_connect_failure(reason);
        throw Error(failure.code, "cannot connect to the database: " + reason, failure.hint);
    } catch (const pqxx::sql_error& e) {
        throw Error(ExitCode::db_unreachable, "cannot set up the database session: " +
                                                  primary_message(e.what()) + details_of(e.what()));
    }
}

std::unique_ptr<Session> connect_as(const std::string& conninfo, const std::string& name,
                                    const std::string& role) {
    return connect(conninfo, role.empty() ? name : name + "/" + role);
}

}  // namespace sm::db
