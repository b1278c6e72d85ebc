#include "validate/expected_schema.hpp"

#include <signal.h>

#include <algorithm>
#include <mutex>

#include "core/log.hpp"
#include "db/session.hpp"
#include "sandbox/throwaway.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "validate/schema_read.hpp"

namespace sm::validate {
namespace {

constexpr const char* k_database = "expected";

// The session the watcher cancels on SIGINT/SIGTERM. cancel() runs on the
// watcher thread; the mutex keeps a session from closing while it is cancelled.
class CancelTarget {
  public:
    void cancel() {
        std::lock_guard lock(m_mutex);
        if (m_session != nullptr) {
            m_session->cancel();
        }
    }

    // Makes session the one cancelled, for the lifetime of the object (declare
    // it after the session, so it ends first).
    class Scope {
      public:
        Scope(CancelTarget& target, db::Session& session) : m_target(target) {
            m_target.set(&session);
        }
        ~Scope() { m_target.set(nullptr); }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

      private:
        CancelTarget& m_target;
    };

  private:
    void set(db::Session* session) {
        std::lock_guard lock(m_mutex);
        m_session = session;
    }

    std::mutex m_mutex;
    db::Session* m_session = nullptr;
};

void create_roles(db::Session& admin, const std::vector<std::string>& roles) {
    for (const auto& role : roles) {
        auto exists = admin.exec_params("SELECT count(*) FROM pg_roles WHERE rolname = $1", {role});
        if (exists.scalar() == "0") {
            auto sql =
                admin.exec_params("SELECT format('CREATE ROLE %I NOLOGIN', $1::text)", {role});
            admin.exec(*sql.scalar());
        }
    }
}

bool runs_in_one_transaction(const core::Script& script) {
    return script.transactional &&
           std::none_of(script.statements.begin(), script.statements.end(),
                        [](const core::Statement& s) { return s.transaction_control; });
}

void apply_step(db::Session& session, const AppliedStep& step, const core::Script& script) {
    size_t count = script.statements.size();
    if (step.statements) {
        count = std::min(count, static_cast<size_t>(std::max(0, *step.statements)));
    }
    bool one_transaction = runs_in_one_transaction(script);
    size_t i = 0;
    try {
        if (one_transaction) {
            session.exec("BEGIN");
        }
        for (; i < count; ++i) {
            session.exec(script.statements[i].sql);
        }
        if (one_transaction) {
            session.exec("COMMIT");
        }
    } catch (const db::DbError& e) {
        stop_if_interrupted("applying " + step.id + " on the throwaway database");
        std::string where = i < count ? " line " + std::to_string(script.statements[i].line) : "";
        throw Error(
            ExitCode::failure,
            "migration " + step.id + where + " failed on the throwaway database: " + e.what(),
            "The expected schema is built by applying the applied migrations to an empty "
            "database; use 'validate --snapshot FILE' where that is not possible.");
    }
}

}  // namespace

void stop_if_interrupted(const std::string& during) {
    if (!util::interrupted()) {
        return;
    }
    std::string sig = util::interrupt_signal() == SIGTERM ? "SIGTERM" : "SIGINT";
    throw Error(ExitCode::interrupted, "interrupted by " + sig + " while " + during,
                "Nothing was changed on the target; a throwaway cluster is stopped and removed.");
}

SchemaModel build_expected_schema(const std::vector<AppliedStep>& steps,
                                  const std::map<core::Version, core::Script>& scripts,
                                  const std::vector<std::string>& roles) {
    std::vector<AppliedStep> ordered = steps;
    std::stable_sort(
        ordered.begin(), ordered.end(),
        [](const AppliedStep& a, const AppliedStep& b) { return a.version < b.version; });

    // Declared in this order so the hook is cleared before the sessions it
    // cancels close, and the cluster stops after them.
    stop_if_interrupted("starting the throwaway cluster");
    core::log_info("validate: building the expected schema on a throwaway PostgreSQL");
    sandbox::ThrowawayCluster cluster("sm-validate");
    CancelTarget running;
    util::ScopedCancelHook hook([&running] { running.cancel(); });
    stop_if_interrupted("starting the throwaway cluster");
    {
        auto admin = db::connect(cluster.url("postgres"), "safe-migrate/validate");
        CancelTarget::Scope cancelling(running, *admin);
        try {
            create_roles(*admin, roles);
            stop_if_interrupted("preparing the throwaway database");
            admin->exec(std::string("CREATE DATABASE ") + k_database);
        } catch (const db::DbError&) {
            stop_if_interrupted("preparing the throwaway database");
            throw;
        }
    }
    auto session = db::connect(cluster.url(k_database), "safe-migrate/validate");
    CancelTarget::Scope cancelling(running, *session);
    SchemaModel model;
    for (const auto& step : ordered) {
        auto it = scripts.find(step.version);
        if (it == scripts.end()) {
            continue;
        }
        stop_if_interrupted("building the expected schema, before " + step.id);
        apply_step(*session, step, it->second);
        model.versions.push_back(step.version);
        model.head = step.version;
    }
    stop_if_interrupted("building the expected schema");
    try {
        SchemaModel read = read_schema(*session);
        read.head = model.head;
        read.versions = model.versions;
        model = std::move(read);
    } catch (const db::DbError&) {
        stop_if_interrupted("reading the expected schema");
        throw;
    }
    return model;
}

}  // namespace sm::validate
