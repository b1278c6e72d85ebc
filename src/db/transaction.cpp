#include "db/transaction.hpp"

namespace sm::db {

void rollback_quietly(Session& session) noexcept {
    try {
        session.exec("ROLLBACK");
    } catch (...) {
        // Nothing to do: an aborted transaction or a lost connection ends it.
    }
}

void in_transaction(Session& session, const std::function<void()>& body, const char* begin) {
    session.exec(begin);
    try {
        body();
        session.exec("COMMIT");
    } catch (...) {
        rollback_quietly(session);
        throw;
    }
}

}  // namespace sm::db
