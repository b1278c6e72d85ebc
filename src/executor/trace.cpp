#include "executor/trace.hpp"

#include <map>
#include <set>

#include "db/transaction.hpp"

namespace sm::executor {
namespace {

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

Relations snapshot(db::Session& session) {
    Relations out;
    for (const auto& row : session.exec(k_user_relations).rows) {
        out[*row[0]] = {*row[1], *row[2]};
    }
    return out;
}

// Strongest lock this backend holds on each pre-existing relation.
std::map<std::string, std::string> held_locks(db::Session& session, const Relations& before) {
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
        if (core::lock_mode_rank(*row[1]) > core::lock_mode_rank(current)) {
            current = *row[1];
        }
    }
    return out;
}

// Sequential scans this transaction made of each user table so far, by oid.
std::map<std::string, std::string> table_scans(db::Session& session) {
    std::map<std::string, std::string> out;
    for (const auto& row :
         session.exec("SELECT relid::text, seq_scan::text FROM pg_stat_xact_user_tables").rows) {
        out[*row[0]] = row[1].value_or("0");
    }
    return out;
}

}  // namespace

std::vector<core::TracedStatement> trace_scripts(db::Session& session,
                                                 const std::vector<TraceInput>& scripts) {
    std::vector<core::TracedStatement> out;
    const Relations before = snapshot(session);
    // Within a transaction locks only accumulate, so each statement's are the new
    // or stronger ones since the previous statement of the same block.
    bool in_block = false;
    std::map<std::string, std::string> locks;  // held so far in the open block
    Relations files;                           // relfilenodes after the previous statement
    std::map<std::string, std::string> scans;  // seq_scan counts after the previous statement
    auto begin = [&] {
        if (!in_block) {
            session.exec("BEGIN");
            in_block = true;
            locks.clear();
            files = snapshot(session);
            scans = table_scans(session);
        }
    };
    auto commit = [&] {
        if (in_block) {
            session.exec("COMMIT");
            in_block = false;
        }
    };
    for (const auto& input : scripts) {
        const core::Script& script = *input.script;
        for (const auto& statement : script.statements) {
            core::TracedStatement traced;
            traced.version = input.version;
            traced.line = statement.line;
            try {
                if (!statement.needs_no_transaction.empty() || statement.transaction_control) {
                    commit();
                    session.exec(statement.sql);  // runs outside a transaction: not observable
                } else {
                    begin();
                    session.exec(statement.sql);
                    traced.observed = true;
                    auto locks_now = held_locks(session, before);
                    for (const auto& [name, mode] : locks_now) {
                        auto it = locks.find(name);
                        if (it == locks.end() ||
                            core::lock_mode_rank(mode) > core::lock_mode_rank(it->second)) {
                            traced.locks[name] = mode;
                        }
                    }
                    auto files_now = snapshot(session);
                    for (const auto& [oid, rel] : files_now) {
                        auto it = files.find(oid);
                        if (before.count(oid) != 0 && it != files.end() &&
                            it->second.filenode != rel.filenode) {
                            traced.rewritten.push_back(rel.name);
                        }
                    }
                    auto scans_now = table_scans(session);
                    for (const auto& [oid, count] : scans_now) {
                        auto it = before.find(oid);
                        auto was = scans.find(oid);
                        if (it != before.end() &&
                            count != (was == scans.end() ? "0" : was->second)) {
                            traced.scanned.push_back(it->second.name);
                        }
                    }
                    scans = std::move(scans_now);
                    locks = std::move(locks_now);
                    files = std::move(files_now);
                    if (!script.transactional) {
                        commit();  // each statement of a no-transaction script stands alone
                    }
                }
            } catch (const db::DbError& e) {
                traced.error = std::string(e.what()) + " (SQLSTATE " + e.sqlstate() + ")";
                db::rollback_quietly(session);
                out.push_back(std::move(traced));
                return out;
            }
            out.push_back(std::move(traced));
        }
        commit();
    }
    return out;
}

}  // namespace sm::executor
