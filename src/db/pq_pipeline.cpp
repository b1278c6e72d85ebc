#include "db/pq_pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>

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

// Sends statements in pipeline mode (no Sync). Statements marked prepared go
// as prepared statements (prepared first when new), unless the batch may drop
// prepared statements itself: then all go unnamed.
std::vector<SentAs> send_statements(PGconn* conn, const std::vector<BatchStatement>& statements,
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
            sent[i] =
                name != nullptr ? SentAs{*name, false, {}} : SentAs{known.new_name(), true, s.sql};
            if (sent[i].prepare) {
                ok = PQsendPrepare(conn, sent[i].name.c_str(), s.sql.c_str(), count, nullptr);
                known.prepared(s.sql, sent[i].name);  // for the batches sent behind it
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
    return sent;
}

// Sends a Sync: the server ends the pipeline's error state there.
void send_sync(PGconn* conn) {
    if (PQpipelineSync(conn) != 1) {
        throw BatchError(raw_error(conn, nullptr), 0);
    }
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

// Reads the results of statements sent by send_statements; a Prepare that
// did not succeed is forgotten in known. The first failure goes to failed
// (those after it were skipped by the server).
std::vector<QueryResult> read_statements(PGconn* conn, const std::vector<SentAs>& sent,
                                         BatchPrepared& known, std::optional<BatchError>& failed) {
    std::vector<QueryResult> results;
    auto record_failure = [&](const PGresult* r, size_t i) {
        if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED && !failed) {
            failed.emplace(raw_error(conn, r), i);
        }
    };
    for (size_t i = 0; i < sent.size(); ++i) {
        if (sent[i].prepare) {
            ResultPtr prepared = read_one(conn, i);
            if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
                known.forget(sent[i].sql, sent[i].name);
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
    return results;
}

// Reads the Sync's result; index names the statement a lost connection is blamed on.
void read_sync(PGconn* conn, size_t index) {
    ResultPtr sync = next_result(conn);
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
        throw BatchError(raw_error(conn, sync.get()), index);
    }
}

BatchError connection_gone() {
    return BatchError(DbError("08006", "connection to the server was lost", true), 0);
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

void Pipeline::send(PGconn* conn, const std::vector<BatchStatement>& statements,
                    BatchPrepared& known, End end) {
    if (end == End::sync) {
        expect_idle();
    }
    if (m_sent.empty()) {
        if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
            throw connection_gone();
        }
        if (PQenterPipelineMode(conn) != 1) {
            throw BatchError(raw_error(conn, nullptr), 0);
        }
    }
    try {
        std::vector<SentAs> as = send_statements(conn, statements, known);
        if (end == End::sync) {
            send_sync(conn);
        } else if (PQsendFlushRequest(conn) != 1 || PQflush(conn) != 0) {
            // Results as each statement ends, without a Sync (which would end
            // the skipping after a failure).
            throw BatchError(raw_error(conn, nullptr), 0);
        }
        m_sent.push_back({std::move(as), end == End::sync});
    } catch (const BatchError& e) {
        known.forget_all();
        const bool in_flight = !m_sent.empty();
        abandon(conn);
        if (!in_flight || e.connection_lost()) {
            throw;
        }
        // The batches sent before were drained unread: whether they committed
        // is not known, as after a lost connection.
        throw BatchError(
            DbError(e.sqlstate(),
                    e.primary() + "; the transactions sent before it may have committed", true),
            e.index());
    } catch (...) {
        known.forget_all();
        abandon(conn);
        throw;
    }
}

std::vector<QueryResult> Pipeline::receive(PGconn* conn, BatchPrepared& known) {
    if (m_sent.empty()) {
        throw std::logic_error("receive_batch: no batch was sent");
    }
    Batch batch = std::move(m_sent.front());
    m_sent.pop_front();
    const size_t last = batch.as.empty() ? 0 : batch.as.size() - 1;
    std::optional<BatchError> failed;
    std::vector<QueryResult> results;
    try {
        results = read_statements(conn, batch.as, known, failed);
        if (batch.synced) {
            finish(conn, known, last);  // nothing was sent behind it
        } else if (failed || m_sent.empty()) {
            // The end of what was sent, or a failure: the later batches were skipped.
            send_sync(conn);
            finish(conn, known, last);
        }
    } catch (...) {
        known.forget_all();
        abandon(conn);
        throw;
    }
    if (failed) {
        throw *failed;
    }
    return results;
}

void Pipeline::expect_idle() const {
    if (!m_sent.empty()) {
        throw std::logic_error("a batch sent ahead was not received (Session::receive_batch)");
    }
}

void Pipeline::finish(PGconn* conn, BatchPrepared& known, size_t index) {
    for (const auto& later : m_sent) {
        std::optional<BatchError> skipped;
        read_statements(conn, later.as, known, skipped);
    }
    m_sent.clear();
    read_sync(conn, index);
    PQexitPipelineMode(conn);
}

void Pipeline::abandon(PGconn* conn) noexcept {
    m_sent.clear();
    if (conn == nullptr) {
        return;
    }
    // libpq leaves pipeline mode only with nothing queued: on a live
    // connection, a Sync, and every result up to it read and dropped.
    if (PQstatus(conn) != CONNECTION_BAD && PQpipelineStatus(conn) != PQ_PIPELINE_OFF &&
        PQpipelineSync(conn) == 1) {
        constexpr int k_most_results = 1 << 20;  // a guard: each queued command ends
        for (int i = 0; i < k_most_results && PQstatus(conn) != CONNECTION_BAD; ++i) {
            ResultPtr r = next_result(conn);
            if (r && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) {
                break;
            }
        }
    }
    PQexitPipelineMode(conn);
}

}  // namespace sm::db
