// The libpqxx implementation of Session. Nothing else includes <pqxx/...>.
#include <map>
#include <pqxx/pqxx>

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

class PqxxSession final : public Session {
  public:
    PqxxSession(const std::string& conninfo, const std::string& application_name)
        : m_conn(conninfo), m_notices(m_conn) {
        exec_params("SELECT set_config('application_name', $1, false)", {application_name});
        m_display = "postgresql://" + std::string(m_conn.username()) + "@" + host() + ":" +
                    std::string(m_conn.port()) + "/" + std::string(m_conn.dbname());
    }

    QueryResult exec(const std::string& sql) override {
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
            throw DbError(e.sqlstate(), primary_message(e.what()));
        } catch (const pqxx::broken_connection& e) {
            throw DbError("08006",
                          "connection to the server was lost: " + primary_message(e.what()), true);
        } catch (const pqxx::in_doubt_error& e) {
            throw DbError("08007", "connection lost while committing: " + primary_message(e.what()),
                          true);
        }
    }

    pqxx::connection m_conn;
    std::map<std::string, std::string> m_prepared;  // SQL text -> statement name
    NoticeToLog m_notices;
    std::string m_display;
};

}  // namespace

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
        throw Error(
            ExitCode::db_unreachable,
            "cannot connect to the database: " + primary_message(e.what()),
            "Check --database-url, DATABASE_URL or the PG* environment variables. A "
            "transaction-pooling PgBouncer cannot hold the migration lock; connect directly.");
    } catch (const pqxx::sql_error& e) {
        throw Error(ExitCode::db_unreachable,
                    "cannot set up the database session: " + primary_message(e.what()));
    }
}

std::unique_ptr<Session> connect_as(const std::string& conninfo, const std::string& name,
                                    const std::string& role) {
    return connect(conninfo, role.empty() ? name : name + "/" + role);
}

}  // namespace sm::db
