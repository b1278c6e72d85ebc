#include "backup/verify.hpp"

#include <set>

#include "backup/archive_crypt.hpp"
#include "backup/pg_tools.hpp"
#include "backup/tool_run.hpp"
#include "core/checksum.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace sm::backup {
namespace fs = std::filesystem;
namespace {

void compare_header(const ArchiveHeader& want, const ArchiveHeader& got,
                    std::vector<std::string>& problems) {
    auto check = [&](const char* what, const std::string& a, const std::string& b) {
        if (a != b) {
            problems.push_back(std::string("archive listing: ") + what + " is '" + b +
                               "', the manifest recorded '" + a + "'");
        }
    };
    check("created at", want.created_at, got.created_at);
    check("database", want.database, got.database);
    check("TOC entries", std::to_string(want.toc_entries), std::to_string(got.toc_entries));
    check("format", want.format, got.format);
    check("dumped by", want.dumped_by, got.dumped_by);
    check("table data entries", std::to_string(want.table_data_entries),
          std::to_string(got.table_data_entries));
}

}  // namespace

VerifyResult verify_backup(const fs::path& dir, const Manifest& m, bool full,
                           const std::optional<fs::path>& pg_bin_dir,
                           const core::EncryptionKey& key) {
    if (m.usable()) {
        require_backup_key(m, key);
    }
    VerifyResult r;
    r.id = m.id;
    r.how = full ? "full-read" : "checksums";
    if (m.id != dir.filename().string()) {
        r.problems.push_back("manifest id " + m.id + " does not match directory " +
                             dir.filename().string());
    }
    if (!m.usable()) {
        r.problems.push_back(std::string("backup state is ") + state_name(m.state) +
                             (m.error.empty() ? "" : ": " + m.error));
        return r;
    }
    if (m.kind == BackupKind::restore_point) {
        // Nothing of a restore point is here: its base backup and WAL are in
        // pgBackRest's repository (`pgbackrest verify` checks those).
        r.how = "restore-point";
        r.ok = r.problems.empty();
        return r;
    }

    // Every recorded file, and nothing else.
    std::set<std::string> recorded;
    for (const auto& f : m.files) {
        recorded.insert(f.name);
        fs::path path = dir / f.name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) {
            r.problems.push_back(f.name + ": missing");
            continue;
        }
        auto size = static_cast<int64_t>(fs::file_size(path, ec));
        if (size != f.bytes) {
            r.problems.push_back(f.name + ": wrong size (" + std::to_string(size) +
                                 " bytes, the manifest recorded " + std::to_string(f.bytes) + ")");
            continue;
        }
        if (core::sha256_file(path) != f.sha256) {
            r.problems.push_back(f.name + ": wrong checksum (contents changed)");
        }
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        std::string name = fs::relative(e.path(), dir).generic_string();
        if (e.is_regular_file() && name != k_manifest_name && recorded.count(name) == 0) {
            r.problems.push_back(name + ": not in the manifest");
        }
    }

    // Encrypted: every segment authenticated, by decrypting for pg_restore
    // below, or (when the files already failed) to name the bad segments.
    std::optional<PlainArchive> plain;
    if (m.encrypted() && r.problems.empty()) {
        try {
            plain.emplace(dir, m, key, 0);
        } catch (const Error& e) {
            r.problems.push_back(e.what());
        }
    } else if (m.encrypted()) {
        auto bad = check_archive_segments(dir, m, key);
        r.problems.insert(r.problems.end(), bad.begin(), bad.end());
    }

    // The archive's own listing agrees with what was recorded.
    int major = m.source.server_version / 10000;
    fs::path pg_restore = find_pg_tool("pg_restore", pg_bin_dir, major);
    fs::path archive = (plain ? plain->dir() : dir) / m.archive;
    if (r.problems.empty()) {
        util::ProcessResult listed =
            util::run_process(tool_spec(pg_restore, {"--list", archive.string()}));
        if (!listed.ok()) {
            r.problems.push_back("pg_restore --list failed: " +
                                 util::redact_text(error_lines(listed.err)));
        } else {
            compare_header(m.header, parse_archive_listing(listed.out), r.problems);
        }
    }

    // Full: read and decompress everything.
    if (full && r.problems.empty()) {
        util::ProcessResult read =
            util::run_process(tool_spec(pg_restore, {"--file=/dev/null", archive.string()}));
        if (!read.ok()) {
            r.problems.push_back("reading the whole archive failed: " +
                                 util::redact_text(error_lines(read.err)));
        }
    }
    r.ok = r.problems.empty();
    return r;
}

void record_verification(const fs::path& dir, Manifest& m, const VerifyResult& r) {
    std::string detail = r.ok ? "all " + std::to_string(m.files.size()) + " files match"
                              : util::join(r.problems, "; ");
    m.verifications.push_back(
        {util::format_utc(std::chrono::system_clock::now(), true), r.how, r.ok, detail});
    if (r.ok && m.state == BackupState::complete) {
        m.state = BackupState::verified;
    } else if (!r.ok && m.usable()) {
        m.state = BackupState::failed;
        m.error = "verification failed: " + detail;
    }
    write_manifest(dir, m);
}

}  // namespace sm::backup
