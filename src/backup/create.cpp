#include "backup/create.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <optional>
#include <thread>

#include "backup/archive_crypt.hpp"
#include "backup/catalog.hpp"
#include "backup/pg_tools.hpp"
#include "backup/step_timings.hpp"
#include "backup/tables.hpp"
#include "backup/tool_run.hpp"
#include "core/checksum.hpp"
#include "core/conninfo.hpp"
#include "core/identity.hpp"
#include "core/log.hpp"
#include "db/advisory_lock.hpp"
#include "db/history.hpp"
#include "db/target_info.hpp"
#include "db/transaction.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"
#include "util/redact.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "util/worker_pool.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::system_clock;

}  // namespace

SourceIdentity read_source_identity(db::Session& s) {
    core::TargetIdentity id = db::read_identity(s);
    SourceIdentity src{id.host, id.port, id.database, id.system_identifier, id.server_version, ""};
    src.encoding = s.exec(
                        "SELECT pg_encoding_to_char(encoding) FROM pg_database "
                        "WHERE datname = current_database()")
                       .scalar()
                       .value_or("");
    return src;
}

// A database never analyzed counts as its whole size.

int64_t estimate_data_bytes(db::Session& s) {
    return std::stoll(
        s.exec("SELECT CASE WHEN sum(c.relpages) > 0 "
               "THEN sum(c.relpages)::bigint * current_setting('block_size')::bigint "
               "ELSE pg_database_size(current_database()) END FROM pg_class c "
               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm', 't') "
               "AND n.nspname NOT IN ('pg_catalog', 'information_schema')")
            .scalar()
            .value_or("0"));
}

namespace {

void check_free_space(const fs::path& root, int64_t data, int compression) {
    // gzip shrinks table data several times over; without it the dump is about
    // the size of the data. Either way keep a margin for the file system.
    uint64_t need = static_cast<uint64_t>(compression > 0 ? data / 3 : data) + (64ULL << 20);
    uint64_t have = util::free_bytes(root);
    if (have < need) {
        throw Error(ExitCode::backup_failed,
                    "not enough free disk space in " + root.string() + ": " +
                        std::to_string(have >> 20) + " MB free, about " +
                        std::to_string(need >> 20) + " MB needed for " +
                        std::to_string(data >> 20) + " MB of table data",
                    "Free space there, run 'safe-migrate backup prune', or set [backup] dir to a "
                    "larger file system.");
    }
}

// A fresh id whose directory and work directory are both unused.
std::string unique_id(const fs::path& root, const std::string& base) {
    std::string id = base;
    for (int n = 2; fs::exists(root / id) || fs::exists(root / (std::string(k_work_prefix) + id));
         ++n) {
        id = base + "-" + std::to_string(n);
    }
    return id;
}

void make_private_dir(const fs::path& dir) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

// Every regular file under dir, relative names with '/', sorted.
std::vector<std::string> list_files(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            names.push_back(fs::relative(e.path(), dir).generic_string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

// SHA-256 and size of every file, on all cores.
std::vector<BackupFile> checksum_files(const fs::path& dir, const std::vector<std::string>& names) {
    std::vector<BackupFile> files(names.size());
    util::parallel_for(names.size(), 0, [&](size_t i) {
        files[i].name = names[i];
        files[i].sha256 = core::sha256_file(dir / names[i], &files[i].bytes);
    });
    return files;
}

int job_count(const core::BackupSettings& s) {
    return s.jobs > 0 ? s.jobs
                      : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

// pg_dump's argv (no password: it travels in PGPASSWORD).
util::ProcessSpec pg_dump_spec(const fs::path& program, const core::BackupSettings& settings,
                               const fs::path& archive, const std::string& snapshot,
                               const core::SplitConninfo& conn) {
    util::ProcessSpec spec = tool_spec(
        program,
        {"--format=" + settings.format, "--compress=" + std::to_string(settings.compression),
         "--lock-wait-timeout=" + std::to_string(settings.lock_wait_timeout.count()) + "ms",
         "--verbose", "--no-password", "--file=" + archive.string()});
    if (settings.format == "directory") {
        spec.args.push_back("--jobs=" + std::to_string(job_count(settings)));
    }
    if (!snapshot.empty()) {
        spec.args.push_back("--snapshot=" + snapshot);
    }
    if (!conn.conninfo.empty()) {
        spec.args.push_back("--dbname=" + conn.conninfo);
    }
    if (conn.password) {
        spec.env_set["PGPASSWORD"] = *conn.password;
    }
    return spec;
}

// Counts rows of each table in the exported snapshot, on the snapshot session.
class RowCounter {
  public:
    RowCounter(db::Session& session, std::vector<TableRef> tables)
        : m_session(session), m_tables(std::move(tables)) {}

    void start() {
        m_thread = std::thread([this] {
            try {
                for (const auto& t : m_tables) {
                    if (m_stop) {
                        return;
                    }
                    m_rows.push_back({t.name, count_rows(m_session, t)});
                }
            } catch (...) {
                m_failure = std::current_exception();
            }
        });
    }
    // Stops early (cancels the running count) and joins.
    void stop() {
        m_stop = true;
        m_session.cancel();
        join();
    }
    std::vector<TableRows> result() {
        join();
        if (m_failure) {
            std::rethrow_exception(m_failure);
        }
        return m_rows;
    }
    ~RowCounter() {
        if (m_thread.joinable()) {
            stop();
        }
    }
    RowCounter(const RowCounter&) = delete;
    RowCounter& operator=(const RowCounter&) = delete;

  private:
    void join() {
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    db::Session& m_session;
    std::vector<TableRef> m_tables;
    std::vector<TableRows> m_rows;
    std::atomic<bool> m_stop{false};
    std::exception_ptr m_failure;
    std::thread m_thread;
};

// Step 2: the manifest of a backup just started (state running): who the
// source is and where it stands.
Manifest start_manifest(const CreateRequest& request, Clock::time_point started) {
    Manifest m;
    m.kind = request.kind;
    m.label = request.label;
    m.run_id = request.run_id.empty() ? core::new_run_id() : request.run_id;
    m.created_by = core::actor();
    m.tool_version = core::tool_version();
    m.started_at = util::format_utc(started, true);
    m.source = read_source_identity(*request.control);
    m.migration_head = db::read_head(*request.control);
    m.archive_format = request.settings.format;
    m.archive = request.settings.format == "directory" ? "archive" : "archive.dump";
    return m;
}

struct DumpTools {
    fs::path pg_dump;
    fs::path pg_restore;
};

// Step 3: pg_dump and pg_restore for the source's server (pg_dump's version
// goes into m), and room for the dump in the catalog.
DumpTools check_tools_and_space(const CreateRequest& request, Manifest& m) {
    const core::BackupSettings& settings = request.settings;
    int server_major = m.source.server_version / 10000;
    DumpTools tools;
    tools.pg_dump = find_pg_tool("pg_dump", settings.pg_bin_dir, server_major);
    ToolVersion dump_version = read_tool_version(tools.pg_dump);
    require_tool_for_server("pg_dump", dump_version, server_major);
    tools.pg_restore = find_pg_tool("pg_restore", settings.pg_bin_dir, server_major);
    require_tool_for_server("pg_restore", read_tool_version(tools.pg_restore), server_major);
    m.pg_dump_version = dump_version.text;
    require_create_key(settings.encryption_key);
    make_private_dir(settings.dir);
    check_free_space(settings.dir, estimate_data_bytes(*request.control), settings.compression);
    return tools;
}

// pg_dump's outcome: interrupted, failed (with a hint for the usual causes),
// or done.
void check_dumped(const util::ProcessResult& dumped) {
    if (util::interrupted()) {
        throw Error(ExitCode::interrupted, "backup interrupted; pg_dump stopped");
    }
    if (!dumped.ok()) {
        std::string hint;
        if (dumped.err.find("could not obtain lock") != std::string::npos) {
            hint =
                "Another session holds a conflicting lock (DDL?). Retry later, or raise "
                "[backup] lock_wait_timeout.";
        } else if (dumped.err.find("No space left") != std::string::npos) {
            hint = "The disk filled up. Free space or set [backup] dir elsewhere.";
        }
        throw Error(ExitCode::backup_failed, failure_message("pg_dump", dumped), hint);
    }
}

// The dump's progress is measured against the tables' sizes as last analyzed
// (pg_class.relpages: pg_relation_size would wait for a table's lock).
ProgressPlan dump_progress_plan(const CreateRequest& request, db::Session& s,
                                const std::vector<TableRef>& tables) {
    ProgressPlan plan;
    plan.tables = static_cast<int>(tables.size());
    plan.heartbeat = request.settings.heartbeat;
    plan.quiet = request.quiet;
    auto sizes = s.exec(
        "SELECT n.nspname || '.' || c.relname, "
        "c.relpages::bigint * current_setting('block_size')::bigint FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema')");
    for (const auto& t : tables) {
        plan.bytes[t.name] = 0;
    }
    for (const auto& row : sizes.rows) {
        auto it = plan.bytes.find(row[0].value_or(""));
        if (it != plan.bytes.end()) {
            it->second = std::stoll(row[1].value_or("0"));
            plan.total_bytes += it->second;
        }
    }
    return plan;
}

// Step 6: pg_dump of snapshot into work, with the rows of tables counted
// alongside on the snapshot's session; its argv and the counts go into m.
void dump_snapshot(const CreateRequest& request, const fs::path& pg_dump, const fs::path& work,
                   db::Session& snapshot_session, const std::string& snapshot,
                   const std::vector<TableRef>& tables, Manifest& m) {
    const core::BackupSettings& settings = request.settings;
    core::SplitConninfo conn = core::split_password(request.conninfo);
    util::ProcessSpec spec = pg_dump_spec(pg_dump, settings, work / m.archive, snapshot, conn);
    m.pg_dump_argv = {pg_dump.string()};
    for (const auto& a : spec.args) {
        m.pg_dump_argv.push_back(util::redact_text(a));
    }
    ProgressPlan plan = dump_progress_plan(request, *request.control, tables);
    RowCounter counter(snapshot_session, tables);
    if (settings.count_rows) {
        counter.start();
    }
    check_dumped(run_with_progress(spec, "dumping", plan));
    if (settings.count_rows) {
        m.tables = counter.result();
    } else {
        for (const auto& t : tables) {
            m.tables.push_back({t.name, -1});
        }
    }
}

// Step 7: checksums of every file in work, and the archive's own listing.
// Files about to be encrypted are checksummed as they are encrypted.
void describe_archive(const fs::path& pg_restore, const fs::path& work, bool encrypting,
                      Manifest& m) {
    std::vector<std::string> names = list_files(work);
    names.erase(std::remove(names.begin(), names.end(), k_manifest_name), names.end());
    if (encrypting) {
        for (const auto& name : names) {
            m.files.push_back({name, 0, ""});
        }
    } else {
        m.files = checksum_files(work, names);
    }
    for (const auto& f : m.files) {
        m.total_bytes += f.bytes;
    }
    util::ProcessResult listed =
        util::run_process(tool_spec(pg_restore, {"--list", (work / m.archive).string()}));
    if (!listed.ok()) {
        throw Error(ExitCode::backup_failed, failure_message("pg_restore --list", listed));
    }
    m.header = parse_archive_listing(listed.out);
    if (m.header.database != m.source.database) {
        throw Error(ExitCode::backup_failed, "the archive lists database '" + m.header.database +
                                                 "', expected '" + m.source.database + "'");
    }
}

// Step 8: the manifest, written last; then the directory becomes visible.
void publish(const fs::path& work, const fs::path& final_dir, Manifest& m,
             Clock::time_point started) {
    auto finished = Clock::now();
    m.finished_at = util::format_utc(finished, true);
    m.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count();
    m.state = BackupState::complete;
    write_manifest(work, m);
    util::rename_durably(work, final_dir);
}

// A backup that failed with e: recorded as failed with its archive removed,
// and renamed into place, so it is visible with the reason. Returns the error
// to throw: backup_failed, or interrupted or lock_busy as e said.
Error record_failure(const std::exception& e, const fs::path& work, const fs::path& final_dir,
                     Manifest& m, Clock::time_point started) {
    const auto* err = dynamic_cast<const Error*>(&e);
    std::string why = util::redact_text(e.what());
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(work, ignored)) {
        if (entry.path().filename() != k_manifest_name) {
            fs::remove_all(entry.path(), ignored);
        }
    }
    m.state = BackupState::failed;
    m.error = why;
    m.files.clear();
    m.total_bytes = 0;
    m.finished_at = util::format_utc(Clock::now(), true);
    m.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    try {
        write_manifest(work, m);
        util::rename_durably(work, final_dir);
    } catch (const std::exception&) {
        fs::remove_all(work, ignored);  // cannot even record it: leave nothing half-visible
    }
    core::log_warn("backup " + m.id + " failed");
    ExitCode code = err ? err->code() : ExitCode::backup_failed;
    if (code != ExitCode::interrupted && code != ExitCode::lock_busy) {
        code = ExitCode::backup_failed;
    }
    return Error(code, "backup " + m.id + " failed: " + why,
                 err && !err->hint().empty()
                     ? err->hint()
                     : "Nothing was changed in the database; the failed backup is recorded in " +
                           final_dir.string() + ".");
}

}  // namespace

Manifest create_backup(const CreateRequest& request) {
    const core::BackupSettings& settings = request.settings;
    auto started = Clock::now();
    StepTimings timings;

    // 1. Hold the migration lock: a backup and a migration never overlap.
    std::optional<db::AdvisoryLock> lock;
    if (!request.lock_already_held) {
        lock.emplace(*request.control, request.lock_wait);
    }

    // 2. Who the source is, and where it stands.
    Manifest m = start_manifest(request, started);

    // 3. The right pg_dump, and room for its output.
    DumpTools tools = check_tools_and_space(request, m);

    // 4. A work directory, renamed into place when the manifest is written.
    m.id = unique_id(
        settings.dir,
        new_backup_id(started, request.label.empty() ? kind_name(request.kind) : request.label));
    fs::path work = settings.dir / (std::string(k_work_prefix) + m.id);
    fs::path final_dir = settings.dir / m.id;
    make_private_dir(work);
    write_manifest(work, m);  // state "running", for anyone looking at the work directory
    core::log_info("backup " + m.id + " of " + m.source.database + " started");
    timings.lap("prepare");

    try {
        // 5. A snapshot that pg_dump and the row counts share.
        auto snapshot_session = db::connect(request.conninfo, request.application_name + "/backup");
        snapshot_session->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        snapshot_session->exec(db::set_timeouts_sql(settings.lock_wait_timeout, std::nullopt,
                                                    db::SettingScope::transaction));
        std::string snapshot =
            snapshot_session->exec("SELECT pg_export_snapshot()").scalar().value_or("");
        std::vector<TableRef> tables = list_tables(*snapshot_session);

        // 6. pg_dump on that snapshot, with the rows counted alongside.
        dump_snapshot(request, tools.pg_dump, work, *snapshot_session, snapshot, tables, m);
        snapshot_session->exec("COMMIT");
        timings.lap("pg_dump");

        // 7. Checksums of every file, and the archive's own listing; then each
        //    file encrypted at rest when there is a key (checksums of what is stored).
        describe_archive(tools.pg_restore, work, !settings.encryption_key.bytes.empty(), m);
        timings.lap("checksums");
        encrypt_archive(work, settings.encryption_key, job_count(settings), m);
        timings.lap("encryption");

        // 8. The manifest, written last; then the directory becomes visible.
        publish(work, final_dir, m, started);
        timings.lap("manifest");
    } catch (const std::exception& e) {
        // Recorded as failed, archive removed, visible with the reason.
        throw record_failure(e, work, final_dir, m, started);
    }
    core::log_debug("backup " + m.id + " complete: " + std::to_string(m.files.size()) + " files, " +
                    std::to_string(m.total_bytes) + " bytes");
    timings.log("backup " + m.id + " create");
    return m;
}

}  // namespace sm::backup
