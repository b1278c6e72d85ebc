#include "db/pq_pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::db {
namespace {

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

}  // namespace

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

bool BatchPrepared::forget_if_dropped_by(const std::string& sql) {
    if (!mentions(sql, "deallocate") && !mentions(sql, "discard")) {
        return false;
    }
    m_names.clear();
    return true;
}

bool BatchPrepared::mentions(const std::string& sql, std::string_view word) {
    auto same = [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == static_cast<unsigned char>(b);
    };
    return std::search(sql.begin(), sql.end(), word.begin(), word.end(), same) != sql.end();
}

std::vector<QueryResult> run_pipeline(PGconn* conn, const std::vector<BatchStatement>& statements,
                                      BatchPrepared& known) {
    if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
        throw BatchError(DbError("08006", "connection to the server was lost", true), 0);
    }
    if (PQenterPipelineMode(conn) != 1) {
        throw BatchError(raw_error(conn, nullptr), 0);
    }
    std::vector<QueryResult> results;
    try {
        auto sent = send_pipeline(conn, statements, known);
        results = read_pipeline(conn, statements, sent, known);
    } catch (...) {
        PQexitPipelineMode(conn);
        throw;
    }
    PQexitPipelineMode(conn);
    return results;
}

}  // namespace sm::db
