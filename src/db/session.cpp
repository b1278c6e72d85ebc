#include "db/session.hpp"

#include <stdexcept>

namespace sm::db {

std::vector<QueryResult> Session::exec_batch(const std::vector<BatchStatement>& statements) {
    std::vector<QueryResult> results;
    results.reserve(statements.size());
    for (size_t i = 0; i < statements.size(); ++i) {
        const auto& s = statements[i];
        try {
            results.push_back(s.prepared         ? exec_prepared(s.sql, s.params)
                              : s.params.empty() ? exec(s.sql)
                                                 : exec_params(s.sql, s.params));
        } catch (const DbError& e) {
            throw BatchError(e, i);
        }
    }
    return results;
}

void Session::send_batch(const std::vector<BatchStatement>& statements) {
    m_sent.push_back(statements);
}

std::vector<QueryResult> Session::receive_batch() {
    if (m_sent.empty()) {
        throw std::logic_error("receive_batch: no batch was sent");
    }
    std::vector<BatchStatement> batch = std::move(m_sent.front());
    m_sent.pop_front();
    try {
        return exec_batch(batch);
    } catch (...) {
        m_sent.clear();  // the server would have skipped them
        throw;
    }
}

}  // namespace sm::db
