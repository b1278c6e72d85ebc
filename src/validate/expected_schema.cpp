#include "validate/expected_schema.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/log.hpp"
#include "executor/session.hpp"
#include "sandbox/cluster.hpp"
#include "util/files.hpp"
#include "validate/schema_read.hpp"

namespace sm::validate {
namespace {

constexpr const char* k_database = "expected";

void create_roles(executor::Session& admin, const std::vector<std::string>& roles) {
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

void apply_step(executor::Session& session, const AppliedStep& step, const core::Script& script) {
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
    } catch (const executor::DbError& e) {
        std::string where = i < count ? " line " + std::to_string(script.statements[i].line) : "";
        throw Error(
            ExitCode::failure,
            "migration " + step.id + where + " failed on the throwaway database: " + e.what(),
            "The expected schema is built by applying the applied migrations to an empty "
            "database; use 'validate --snapshot FILE' where that is not possible.");
    }
}

}  // namespace

SchemaModel build_expected_schema(const std::vector<AppliedStep>& steps,
                                  const std::map<int64_t, core::Script>& scripts,
                                  const std::vector<std::string>& roles) {
    std::vector<AppliedStep> ordered = steps;
    std::stable_sort(
        ordered.begin(), ordered.end(),
        [](const AppliedStep& a, const AppliedStep& b) { return a.version < b.version; });

    util::TempDir state_dir("sm-validate");
    std::filesystem::path state_file = state_dir.path() / "sandbox.json";
    core::log_info("validate: building the expected schema on a throwaway PostgreSQL");
    auto cluster = sandbox::start_cluster(state_file);
    SchemaModel model;
    try {
        {
            auto admin = executor::connect(cluster.url("postgres"), "safe-migrate/validate");
            create_roles(*admin, roles);
            admin->exec(std::string("CREATE DATABASE ") + k_database);
        }
        auto session = executor::connect(cluster.url(k_database), "safe-migrate/validate");
        for (const auto& step : ordered) {
            auto it = scripts.find(step.version);
            if (it == scripts.end()) {
                continue;
            }
            apply_step(*session, step, it->second);
            model.versions.push_back(step.version);
            model.head = step.version;
        }
        SchemaModel read = read_schema(*session);
        read.head = model.head;
        read.versions = model.versions;
        model = std::move(read);
    } catch (...) {
        sandbox::stop_cluster(state_file);
        throw;
    }
    sandbox::stop_cluster(state_file);
    return model;
}

}  // namespace sm::validate
