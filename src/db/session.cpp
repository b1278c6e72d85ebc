#include "db/session.hpp"

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

}  // namespace sm::db
