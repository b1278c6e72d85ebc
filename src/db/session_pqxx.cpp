// The libpqxx implementation of Session. Nothing else includes <pqxx/...>.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "db/pq_pipeline.hpp"
#include "db/session.hpp"
#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::db {
namespace {

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

class PqxxSession final : public Session {
  public:
    PqxxSession(const std::string& conninfo, const std::string& application_name)
        : m_conn(conninfo), m_notices(m_conn) {
        exec_params("SELECT set_config('application_name', $1, false)", {application_name});
        m_display = "postgresql://" + std::string(m_conn.username()) + "@" + host() + ":" +
                    std::string(m_conn.port()) + "/" + std::string(m_conn.dbname());
    }

    QueryResult exec(const std::string& sql) override {
        m_pipeline.expect_idle();
        m_prepared.forget_if_dropped_by(sql);
        return run([&](pqxx::nontransaction& tx) { return tx.exec(sql); });
    }

    QueryResult exec_params(const std::string& sql, const std::vector<Value>& params) override {
        m_pipeline.expect_idle();
        return run([&](pqxx::nontransaction& tx) {
            auto raw = raw_params(params);
            return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(raw));
        });
    }

    // Through the batches' registry of prepared statements: one per session.
    QueryResult exec_prepared(const std::string& sql, const std::vector<Value>& params) override {
        try {
            return exec_batch({{sql, params, true}}).at(0);
        } catch (const BatchError& e) {
            throw DbError(e);
        }
    }

    // One round trip: the batch and a Sync, then its results.
    std::vector<QueryResult> exec_batch(const std::vector<BatchStatement>& statements) override {
        m_pipeline.send(m_conn.raw(), statements, m_prepared, Pipeline::End::sync);
        return m_pipeline.receive(m_conn.raw(), m_prepared);
    }

    void send_batch(const std::vector<BatchStatement>& statements) override {
        m_pipeline.send(m_conn.raw(), statements, m_prepared, Pipeline::End::flush);
    }

    std::vector<QueryResult> receive_batch() override {
        return m_pipeline.receive(m_conn.raw(), m_prepared);
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
    BatchPrepared m_prepared;  // what exec_prepared and exec_batch prepared
    Pipeline m_pipeline;       // batches sent and not yet received
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
