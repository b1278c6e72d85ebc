#include "db/check_query.hpp"

#include "db/transaction.hpp"
#include "util/redact.hpp"

namespace sm::db {
namespace {

CheckAnswer judge_check_result(const QueryResult& r) {
    if (r.rows.empty() || r.rows.front().empty()) {
        return {false, "returned no row"};
    }
    const Value& v = r.rows.front().front();
    if (!v) {
        return {false, "returned NULL"};
    }
    if (*v == "t" || *v == "true") {
        return {true, ""};
    }
    if (*v == "f" || *v == "false") {
        return {false, "returned false"};
    }
    return {false, "returned '" + util::redact_text(v->substr(0, 60)) +
                       "', not a boolean (write the check as a condition: SELECT count(*) > 0 "
                       "FROM ...)"};
}

}  // namespace

CheckAnswer run_check_query(Session& session, const std::string& sql,
                            std::chrono::milliseconds timeout) {
    try {
        session.exec("BEGIN READ ONLY; " +
                     set_timeouts_sql(timeout, timeout, SettingScope::transaction));
        CheckAnswer answer = judge_check_result(session.exec(sql));
        rollback_quietly(session);
        return answer;
    } catch (const DbError& e) {
        rollback_quietly(session);
        return {false, util::redact_text(e.primary()) + " (SQLSTATE " + e.sqlstate() + ")"};
    }
}

}  // namespace sm::db
