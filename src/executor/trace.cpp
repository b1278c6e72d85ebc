#include "executor/trace.hpp"

#include <map>
#include <set>

namespace sm::executor {
namespace {

// pg_locks modes, weakest first, to keep the strongest per relation.
int strength(const std::string& mode) {
    static const char* k_modes[] = {
        "AccessShareLock", "RowShareLock",          "RowExclusiveLock", "ShareUpdateExclusiveLock",
        "ShareLock",       "ShareRowExclusiveLock", "ExclusiveLock",    "AccessExclusiveLock"};
    for (int i = 0; i < 8; ++i) {
        if (mode == k_modes[i]) {
            return i;
        }
    }
    return -1;
}

constexpr const char* k_user_relations =
    "SELECT c.oid::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
    "c.relfilenode::text "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', "
    "'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%'";

struct Relation {
    std::string name;
    std::string filenode;
};

using Relations = std::map<std::string, Relation>;  // oid -> relation

Relations snapshot(Session& session) {
    Relations out;
    for (const auto& row : session.exec(k_user_relations).rows) {
        out[*row[0]] = {*row[1], *row[2]};
    }
    return out;
}

// Strongest lock this backend holds on each pre-existing relation.
std::map<std::string, std::string> held_locks(Session& session, const Relations& before) {
    std::map<std::string, std::string> out;
    auto r = session.exec(
        "SELECT relation::text, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = "
        "'relation' "
        "AND granted");
    for (const auto& row : r.rows) {
        auto it = before.find(row[0].value_or(""));
        if (it == before.end()) {
            continue;
        }
        std::string& current = out[it->second.name];
        if (strength(*row[1]) > strength(current)) {
            current = *row[1];
        }
    }
    return out;
}

}  // namespace

std::vector<core::TracedStatement> trace_scripts(Session& session,
                                                 const std::vector<TraceInput>& scripts) {
    std::vector<core::TracedStatement> out;
    const Relations before = snapshot(session);
    for (const auto& input : scripts) {
        const core::Script& script = *input.script;
        bool in_block = false;
        auto begin = [&] {
            if (!in_block) {
                session.exec("BEGIN");
                in_block = true;
            }
        };
        for (const auto& statement : script.statements) {
            core::TracedStatement traced;
            traced.version = input.version;
            traced.line = statement.line;
            bool observable =
                statement.needs_no_transaction.empty() && !statement.transaction_control;
            try {
                if (!observable) {
                    if (in_block) {
                        session.exec("COMMIT");
                        in_block = false;
                    }
                    session.exec(statement.sql);
                } else {
                    begin();
                    auto locks_before = held_locks(session, before);
                    auto files_before = snapshot(session);
                    session.exec(statement.sql);
                    traced.observed = true;
                    // Locks only accumulate within a transaction: new or stronger ones are this
                    // statement's.
                    for (const auto& [name, mode] : held_locks(session, before)) {
                        auto it = locks_before.find(name);
                        if (it == locks_before.end() || strength(mode) > strength(it->second)) {
                            traced.locks[name] = mode;
                        }
                    }
                    for (const auto& [oid, rel] : snapshot(session)) {
                        auto it = files_before.find(oid);
                        if (before.count(oid) != 0 && it != files_before.end() &&
                            it->second.filenode != rel.filenode) {
                            traced.rewritten.push_back(rel.name);
                        }
                    }
                    if (!script.transactional) {
                        session.exec(
                            "COMMIT");  // each statement of a no-transaction script stands alone
                        in_block = false;
                    }
                }
            } catch (const DbError& e) {
                traced.error = std::string(e.what()) + " (SQLSTATE " + e.sqlstate() + ")";
                try {
                    session.exec("ROLLBACK");
                } catch (...) {
                }
                out.push_back(std::move(traced));
                return out;
            }
            out.push_back(std::move(traced));
        }
        if (in_block) {
            session.exec("COMMIT");
        }
    }
    return out;
}

}  // namespace sm::executor
