#pragma once
// The JSON documents commands print for the libraries' results (--format
// json), so that the command line only chooses between them and its text.
// Each returns the whole document as nlohmann::json::dump(2) prints it: keys
// sorted, two-space indent, no final newline.

#include <optional>
#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/verify.hpp"
#include "deploy/adopt.hpp"
#include "deploy/inspect.hpp"
#include "deploy/pre_restore.hpp"
#include "deploy/reporter.hpp"
#include "deploy/reset.hpp"
#include "deploy/restore.hpp"
#include "deploy/seed.hpp"

namespace sm::deploy {

// backup create: {"result": "ok", "backup": the entry's summary}.
std::string backup_created_json(const backup::CatalogEntry& entry);

// backup list: every backup's summary, the leftover work directories and the
// target's pre-restore databases (null when not looked for, {"error"} when
// they could not be listed).
std::string catalog_json(const backup::Catalog& catalog, const PreRestoreShown& pre);

// backup verify, when it passed.
std::string verified_json(const backup::VerifyResult& result);

// execute: the run that finished.
std::string run_result_json(const Result& result);

// The same in words: what was applied (or that nothing was) and the head, then
// what was left for a later phase, a line each.
std::vector<std::string> run_result_lines(const Result& result);

// execute --dry-run: the plan, the reasons it would stop and what it would do.
std::string dry_run_json(const DryRunReport& report);

// The same in words, a line each, for after the plan's text: that nothing
// changed, the backup, on_failure, an override, each reason it would stop, the verdict.
std::vector<std::string> dry_run_lines(const DryRunReport& report);

struct CheckReport;  // deploy/checks.hpp

// check: each check's name, kind, result ("passed", "failed"), detail and
// duration_ms; "result" is the exit code's name ("ok", "failure").
std::string check_report_json(const CheckReport& report);

// restore: what was restored, kept, terminated and left alone.
std::string restore_result_json(const CatalogRestoreResult& done);

// reset, in environment.
std::string reset_result_json(const ResetResult& result, const std::string& environment);

// status: each migration's state, the counts, and the exit code.
std::string status_json(const TargetStatus& status);

// status's last line: "3 applied, 1 pending, 1 changed" (counts that are not 0
// after the first two).
std::string status_summary(const executor::StatusReport& report);

// seed run: {"result", "action": "run", "environment", "scale", "count" (seeds
// that ran), "rows" ({"public.users": 100}), "total_rows", "duration_ms"}.
std::string seed_run_json(const seed::SeedRunSummary& summary);

// seed status, for environment (null: every environment).
std::string seed_status_json(const SeedStatus& status,
                             const std::optional<std::string>& environment);

// adopt: {"result": "ok", "tool", "table", "dry_run", "recorded",
// "already_recorded", "pending"}, each migration's version, name and checksum.
std::string adopt_json(const AdoptResult& result, const std::string& tool, bool dry_run);

}  // namespace sm::deploy
