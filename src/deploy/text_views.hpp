#pragma once
// Commands' text, as data the command line prints: tables (a header and rows,
// which it aligns and colours) and lines. The JSON is json_views.hpp's.

#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "core/health.hpp"
#include "deploy/adopt.hpp"
#include "deploy/pre_restore.hpp"
#include "deploy/restore.hpp"
#include "executor/status.hpp"
#include "seed/seed_summary.hpp"

namespace sm::deploy {

struct TextTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

// A row per migration (a changed one adds its recorded and file checksums).
TextTable migrations_table(const executor::StatusReport& report);

// status --tables: a row per table; "?" rows for a table never analyzed.
TextTable table_stats_table(const std::vector<core::TableStats>& tables);

// status --health: a line per fact ("invalid indexes:     none").
std::vector<std::string> health_lines(const core::Health& health);

// check: a line per check (passed or FAILED, its kind and time, why), then
// the counts; a note when none is configured.
struct CheckReport;  // deploy/checks.hpp
std::vector<std::string> check_report_lines(const CheckReport& report);

// seed run: what was seeded, where, at which scale and how fast, then a line
// per table with the rows its INSERTs inserted.
std::vector<std::string> seed_run_lines(const seed::SeedRunSummary& summary);

// backup list: a row per backup (an incomplete or unreadable one says so).
TextTable catalog_table(const backup::Catalog& catalog);

// backup list: the databases restores kept (a heading and a table; no rows
// when there are none), or why they could not be listed (one line).
std::vector<std::string> pre_restore_note(const PreRestoreShown& pre);
TextTable pre_restore_table(const PreRestoreShown& pre);

// restore: what was restored and what was kept; for a restore point, what was
// done or the steps left to run by hand.
std::vector<std::string> restore_result_lines(const CatalogRestoreResult& done);

// adopt: a line per migration recorded (or that would be), then the counts.
std::vector<std::string> adopt_lines(const AdoptResult& result, const std::string& tool,
                                     bool dry_run);

}  // namespace sm::deploy
