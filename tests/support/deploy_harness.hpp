#pragma once
// Everything a unit test of the deploy pipeline needs around deploy::run, with
// no database, no network and no pg_dump: a project of three migrations (each
// with a down file) written to a temporary directory and loaded like the
// command line loads it, a config with one generic webhook to
// https://hooks.test/x, and deploy::Boundaries wired to fakes that record
// what the pipeline did, each in the sequence shared by all fakes:
//
//   db       FakeDatabase (fake_session.hpp): the "lock" and migration sessions
//   http     FakeHttp (fake_http.hpp): the webhook
//   backups  FakeBackupTool: take, verify and restore
//   reporter RecordingReporter: what the caller was told

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "deploy/reporter.hpp"
#include "deploy/request.hpp"
#include "planner/project.hpp"
#include "support/fake_http.hpp"
#include "support/fake_session.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace sm::test {

// The project's migrations: each up file is one statement, so a test can look
// for it in the statements the fake database saw.
struct HarnessMigration {
    const char* id;    // "1_accounts"
    const char* up;    // the up file's statement, as the session receives it
    const char* down;  // the down file's statement
};
inline constexpr HarnessMigration k_harness_migrations[] = {
    {"1_accounts", "CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL)",
     "DROP TABLE accounts"},
    {"2_nickname", "ALTER TABLE users ADD COLUMN nickname text",
     "ALTER TABLE users DROP COLUMN nickname"},
    {"3_ledger", "CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric NOT NULL)",
     "DROP TABLE ledger"},
};

// One call the pipeline made to the backup boundaries.
struct BackupCall {
    size_t seq = 0;
    std::string what;  // "take", "verify", "restore"
    std::string id;    // the backup's id
};

// Takes "backups" that exist only as manifests; verification finds problems
// when told to.
class FakeBackupTool {
  public:
    // Verification reports these problems (empty: the backup verifies).
    std::vector<std::string> problems;
    std::vector<BackupCall> calls;
    std::optional<backup::CreateRequest> last_create;

    // Installs take_backup, verify_backup and restore_backup into io.
    void install(deploy::Boundaries& io);
    size_t count(const std::string& what) const;
    size_t seq_of(const std::string& what) const;  // first call of what, or 0
};

// One thing the pipeline told its caller.
struct ReporterEntry {
    size_t seq = 0;
    std::string what;    // "target", "policy_blocked", "policy_overridden", "backup_verified",
                         // "applying", "applied", "finished", "dry_run"
    std::string detail;  // the migration id, the backup id, the target
};

class RecordingReporter : public deploy::Reporter {
  public:
    std::vector<ReporterEntry> entries;
    std::optional<deploy::Result> result;
    std::optional<deploy::DryRunReport> dry;
    std::optional<planner::Plan> gate_plan;  // the plan the policy gate blocked or overrode
    // Called by applied(), after it records the line: a test may throw from it
    // to stop the run between two migrations.
    std::function<void(const std::string& id)> on_applied;

    void target(const std::string& display, core::TargetSource source) override;
    void policy_blocked(const planner::Plan& plan) override;
    void policy_overridden(const planner::Plan& plan,
                           const deploy::PolicyOverridden& what) override;
    void backup_verified(const backup::Manifest& manifest) override;
    void applying(const std::string& id, bool transactional) override;
    void applied(const std::string& id, std::chrono::milliseconds took) override;
    void finished(const deploy::Result& result) override;
    void dry_run(const deploy::DryRunReport& report) override;

    // "applying 1_accounts", "applied 1_accounts", ... in order.
    std::vector<std::string> lines() const;
};

struct HarnessOptions {
    bool required_webhook = false;           // the webhook is required = true
    std::optional<std::string> environment;  // "production" is declared protected
    // Replaces the up statement of 2_nickname (e.g. one the policy blocks).
    std::optional<std::string> second_up = std::nullopt;
    // More keys for [environments.production.execute].
    std::string production_execute = "";
};

// The result of one run: its exit code, and the error when it threw.
struct Outcome {
    int code = 0;  // run()'s return, or the thrown sm::Error's code
    std::optional<Error> error;
};

class DeployHarness {
    util::TempDir m_dir;  // first: the project is written into it before it is loaded

  public:
    explicit DeployHarness(const HarnessOptions& options = {});

    // A request for the whole project with the fakes as boundaries: the
    // config's settings, backups when protected, quiet.
    deploy::Request request(bool dry_run = false);
    // deploy::run(request, reporter), never throwing sm::Error.
    Outcome run(deploy::Request request);

    // The project's directory (config, migrations, spool, backups).
    const std::filesystem::path& dir() const { return m_dir.path(); }

    planner::Project project;
    FakeDatabase db;
    FakeHttp http;
    FakeBackupTool backups;
    RecordingReporter reporter;
};

// SQL that writes: DML, DDL, or a transaction block. For the dry run.
bool is_write(const std::string& sql);

}  // namespace sm::test
