#include "support/deploy_harness.hpp"

#include <fstream>
#include <regex>

#include "deploy/run.hpp"
#include "support/sequence.hpp"

namespace sm::test {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

// The project as the command line would load it from dir.
planner::Project write_project(const fs::path& dir, const HarnessOptions& options) {
    for (const auto& m : k_harness_migrations) {
        std::string up = m.up;
        if (options.second_up && std::string(m.id) == "2_nickname") {
            up = *options.second_up;
        }
        write(dir / "migrations" / (std::string(m.id) + ".up.sql"), up + ";\n");
        write(dir / "migrations" / (std::string(m.id) + ".down.sql"), std::string(m.down) + ";\n");
    }
    // No retries and a short deadline: a failing endpoint answers at once.
    write(dir / "safe-migrate.toml",
          "[notify]\ndeadline = \"2s\"\nattempt_timeout = \"1s\"\nconnect_timeout = \"1s\"\n"
          "retries = 0\nspool = \"" +
              (dir / "spool.jsonl").string() +
              "\"\n\n[[notify.webhooks]]\nname = \"pipeline\"\nkind = \"generic\"\n"
              "url = \"https://hooks.test/x\"\nrequired = " +
              (options.required_webhook ? "true" : "false") + "\n\n[backup]\ndir = \"" +
              (dir / "backups").string() + "\"\n\n[environments.production]\nprotected = true\n" +
              "\n[environments.production.execute]\n" + options.production_execute + "\n");
    planner::ProjectOptions project_options;
    project_options.config = dir / "safe-migrate.toml";
    project_options.env = options.environment;
    project_options.migrations_dir = dir / "migrations";
    return planner::load_project(project_options);
}

}  // namespace

void FakeBackupTool::install(deploy::Boundaries& io) {
    io.take_backup = [this](const backup::CreateRequest& r) {
        last_create = r;
        backup::Manifest m;
        m.id = "20260101T000000Z-" + r.label;
        m.kind = r.kind;
        m.label = r.label;
        m.run_id = r.run_id;
        m.state = backup::BackupState::complete;
        m.total_bytes = 4096;
        calls.push_back({next_sequence(), "take", m.id});
        return m;
    };
    io.verify_backup = [this](const std::filesystem::path&, backup::Manifest& m) {
        calls.push_back({next_sequence(), "verify", m.id});
        if (problems.empty()) {
            m.state = backup::BackupState::verified;
        }
        return problems;
    };
    io.restore_backup = [this](const backup::RestoreRequest& r) {
        calls.push_back({next_sequence(), "restore", r.manifest.id});
        backup::RestoreResult result;
        result.database = "app";
        result.previous_database = "app_pre_restore";
        return result;
    };
}

size_t FakeBackupTool::count(const std::string& what) const {
    size_t n = 0;
    for (const auto& c : calls) {
        n += c.what == what ? 1 : 0;
    }
    return n;
}

size_t FakeBackupTool::seq_of(const std::string& what) const {
    for (const auto& c : calls) {
        if (c.what == what) {
            return c.seq;
        }
    }
    return 0;
}

void RecordingReporter::target(const std::string& display, core::TargetSource) {
    entries.push_back({next_sequence(), "target", display});
}

void RecordingReporter::policy_blocked(const planner::Plan& plan) {
    entries.push_back({next_sequence(), "policy_blocked", plan.policy.name});
    gate_plan = plan;
}

void RecordingReporter::policy_overridden(const planner::Plan& plan,
                                          const deploy::PolicyOverridden& what) {
    entries.push_back({next_sequence(), "policy_overridden", what.reason});
    gate_plan = plan;
}

void RecordingReporter::backup_verified(const backup::Manifest& manifest) {
    entries.push_back({next_sequence(), "backup_verified", manifest.id});
}

void RecordingReporter::applying(const std::string& id, bool) {
    entries.push_back({next_sequence(), "applying", id});
}

void RecordingReporter::applied(const std::string& id, std::chrono::milliseconds) {
    entries.push_back({next_sequence(), "applied", id});
    if (on_applied) {
        on_applied(id);
    }
}

void RecordingReporter::finished(const deploy::Result& r) {
    entries.push_back({next_sequence(), "finished", ""});
    result = r;
}

void RecordingReporter::dry_run(const deploy::DryRunReport& report) {
    entries.push_back({next_sequence(), "dry_run", ""});
    dry = report;
}

std::vector<std::string> RecordingReporter::lines() const {
    std::vector<std::string> out;
    for (const auto& e : entries) {
        out.push_back(e.detail.empty() ? e.what : e.what + " " + e.detail);
    }
    return out;
}

DeployHarness::DeployHarness(const HarnessOptions& options)
    : m_dir("sm-deploy-unit"), project(write_project(m_dir.path(), options)) {}

deploy::Request DeployHarness::request(bool dry_run) {
    deploy::Request r;
    r.project = &project;
    r.target = {"postgresql://deployer@db.test:5432/app", core::TargetSource::flag, {}};
    r.settings = project.config.execute;
    r.dry_run = dry_run;
    r.quiet = true;
    r.quiet_tools = true;
    r.io.connect = [this](const std::string& role) { return db.connect(role); };
    r.io.http = http.factory();
    backups.install(r.io);
    return r;
}

Outcome DeployHarness::run(deploy::Request request) {
    try {
        return {deploy::run(std::move(request), reporter), std::nullopt};
    } catch (const Error& e) {
        return {static_cast<int>(e.code()), e};
    }
}

bool is_write(const std::string& sql) {
    static const std::regex k_write(
        R"(\b(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|COMMENT|GRANT|REVOKE|BEGIN|COMMIT)\b)",
        std::regex::ECMAScript | std::regex::icase);
    return std::regex_search(sql, k_write);
}

}  // namespace sm::test
