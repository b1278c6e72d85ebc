#include "backup/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/checksum.hpp"
#include "core/version_json.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace sm::backup {
namespace {

using nlohmann::json;

const char* const k_states[] = {"running", "complete", "verified", "failed"};
const char* const k_kinds[] = {"manual", "pre-deploy", "pre-restore", "restore-point"};

json body_json(const Manifest& m) {
    json files = json::array();
    for (const auto& f : m.files) {
        files.push_back({{"name", f.name}, {"bytes", f.bytes}, {"sha256", f.sha256}});
    }
    json tables = json::array();
    for (const auto& t : m.tables) {
        tables.push_back({{"table", t.table}, {"rows", t.rows}});
    }
    json verifications = json::array();
    for (const auto& v : m.verifications) {
        verifications.push_back({{"at", v.at}, {"how", v.how}, {"ok", v.ok}, {"detail", v.detail}});
    }
    const ArchiveHeader& h = m.header;
    json body = {
        {"format", m.format},
        {"id", m.id},
        {"kind", kind_name(m.kind)},
        {"state", state_name(m.state)},
        {"label", m.label},
        {"run_id", m.run_id},
        {"started_at", m.started_at},
        {"finished_at", m.finished_at},
        {"duration_ms", m.duration_ms},
        {"created_by", m.created_by},
        {"source",
         {{"host", m.source.host},
          {"port", m.source.port},
          {"database", m.source.database},
          {"system_identifier", m.source.system_identifier},
          {"server_version", m.source.server_version},
          {"encoding", m.source.encoding}}},
        {"migration_head", m.migration_head ? json(*m.migration_head) : json(nullptr)},
        {"archive_format", m.archive_format},
        {"archive", m.archive},
        {"tool_version", m.tool_version},
        {"pg_dump_version", m.pg_dump_version},
        {"pg_dump_argv", m.pg_dump_argv},
        {"files", files},
        {"total_bytes", m.total_bytes},
        {"listing",
         {{"created_at", h.created_at},
          {"database", h.database},
          {"toc_entries", h.toc_entries},
          {"compression", h.compression},
          {"dump_version", h.dump_version},
          {"format", h.format},
          {"dumped_from", h.dumped_from},
          {"dumped_by", h.dumped_by},
          {"table_data_entries", h.table_data_entries}}},
        {"tables", tables},
        {"verifications", verifications},
        {"pinned", m.pinned},
        {"error", m.error},
    };
    if (m.encrypted()) {
        body["encryption"] = {{"cipher", m.cipher},
                              {"segment_bytes", m.cipher_segment_bytes},
                              {"key_fingerprint", m.key_fingerprint}};
    }
    // Only restore points carry the key, so older manifests keep their checksums.
    if (m.restore_point) {
        const RestorePointInfo& rp = *m.restore_point;
        body["restore_point"] = {{"name", rp.name},
                                 {"lsn", rp.lsn},
                                 {"stanza", rp.stanza},
                                 {"base_backup", rp.base_backup}};
    }
    return body;
}

// Reads fields with errors that name the manifest and the key.
class Reader {
  public:
    explicit Reader(const std::filesystem::path& path) : m_path(path) {}

    const json& at(const json& j, const char* key, const std::string& where = "") const {
        if (!j.is_object() || !j.contains(key)) {
            fail(where + key, "is missing");
        }
        return j.at(key);
    }
    std::string str(const json& j, const char* key, const std::string& where = "") const {
        const json& v = at(j, key, where);
        if (!v.is_string()) {
            fail(where + key, "must be a string");
        }
        return v.get<std::string>();
    }
    int64_t num(const json& j, const char* key, const std::string& where = "") const {
        const json& v = at(j, key, where);
        if (!v.is_number_integer()) {
            fail(where + key, "must be an integer");
        }
        return v.get<int64_t>();
    }
    bool flag(const json& j, const char* key, const std::string& where = "") const {
        const json& v = at(j, key, where);
        if (!v.is_boolean()) {
            fail(where + key, "must be true or false");
        }
        return v.get<bool>();
    }
    const json& list(const json& j, const char* key, const std::string& where = "") const {
        const json& v = at(j, key, where);
        if (!v.is_array()) {
            fail(where + key, "must be a list");
        }
        return v;
    }
    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw Error(ExitCode::backup_failed, m_path.string() + ": key '" + key + "' " + what,
                    "The manifest was edited or damaged; this backup cannot be trusted.");
    }

  private:
    std::filesystem::path m_path;
};

template <size_t N>
int index_of(const char* const (&names)[N], const std::string& value) {
    for (size_t i = 0; i < N; ++i) {
        if (value == names[i]) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

}  // namespace

const char* state_name(BackupState s) {
    return k_states[static_cast<int>(s)];
}
const char* kind_name(BackupKind k) {
    return k_kinds[static_cast<int>(k)];
}

std::chrono::system_clock::time_point Manifest::finished() const {
    std::tm tm{};
    int consumed = 0;
    if (finished_at.empty() ||
        std::sscanf(finished_at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) < 6 ||
        tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60) {
        return {};
    }
    // Fractional seconds, any number of digits: ".5" is 500 ms.
    int millis = 0;
    if (static_cast<size_t>(consumed) < finished_at.size() && finished_at[consumed] == '.') {
        int scale = 100;
        for (size_t i = consumed + 1; i < finished_at.size() &&
                                      std::isdigit(static_cast<unsigned char>(finished_at[i])) != 0;
             ++i, scale /= 10) {
            millis += (finished_at[i] - '0') * scale;
        }
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(::timegm(&tm)) +
           std::chrono::milliseconds(millis);
}

// Invalid UTF-8 (a Latin-1 label, a stray byte in an error) becomes U+FFFD
// rather than making the manifest unwritable.
static std::string canonical(const json& j, int indent = -1) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string manifest_to_text(const Manifest& m) {
    json body = body_json(m);
    body["manifest_sha256"] = core::sha256_hex(canonical(body_json(m)));
    return canonical(body, 2) + "\n";
}

namespace {

// The document, once its own checksum matches its body.
json checked_document(const std::string& text, const std::filesystem::path& path, const Reader& r) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(ExitCode::backup_failed, path.string() + ": not valid JSON: " + e.what(),
                    "The manifest is damaged or was not written completely.");
    }
    if (!j.is_object()) {
        r.fail("(document)", "must be an object");
    }
    std::string recorded = r.str(j, "manifest_sha256");
    json body = j;
    body.erase("manifest_sha256");
    if (core::sha256_hex(canonical(body)) != recorded) {
        throw Error(ExitCode::backup_failed, path.string() + ": manifest checksum mismatch",
                    "The manifest was changed after it was written; do not trust this backup.");
    }
    return j;
}

// format through created_by: what the backup is and when it ran.
void read_what_and_when(const Reader& r, const json& j, Manifest& m) {
    m.format = static_cast<int>(r.num(j, "format"));
    if (m.format != k_manifest_format) {
        r.fail("format", "is " + std::to_string(m.format) + "; this version reads " +
                             std::to_string(k_manifest_format));
    }
    m.id = r.str(j, "id");
    int kind = index_of(k_kinds, r.str(j, "kind"));
    int state = index_of(k_states, r.str(j, "state"));
    if (kind < 0) {
        r.fail("kind", "is not one of manual, pre-deploy, pre-restore, restore-point");
    }
    if (state < 0) {
        r.fail("state", "is not one of running, complete, verified, failed");
    }
    m.kind = static_cast<BackupKind>(kind);
    m.state = static_cast<BackupState>(state);
    m.label = r.str(j, "label");
    m.run_id = r.str(j, "run_id");
    m.started_at = r.str(j, "started_at");
    m.finished_at = r.str(j, "finished_at");
    m.duration_ms = r.num(j, "duration_ms");
    m.created_by = r.str(j, "created_by");
}

SourceIdentity read_source(const Reader& r, const json& j) {
    const json& src = r.at(j, "source");
    SourceIdentity s;
    s.host = r.str(src, "host", "source.");
    s.port = r.str(src, "port", "source.");
    s.database = r.str(src, "database", "source.");
    s.system_identifier = r.str(src, "system_identifier", "source.");
    s.server_version = static_cast<int>(r.num(src, "server_version", "source."));
    s.encoding = r.str(src, "encoding", "source.");
    return s;
}

// migration_head through total_bytes: the archive and its files.
void read_archive(const Reader& r, const json& j, Manifest& m) {
    const json& head = r.at(j, "migration_head");
    if (head.is_number_integer()) {
        m.migration_head = head.get<core::Version>();
    } else if (head.is_string() && core::Version::parse(head.get<std::string>())) {
        m.migration_head = core::Version::parse(head.get<std::string>());
    } else if (!head.is_null()) {
        r.fail("migration_head", "must be a version (an integer or \"1.2\") or null");
    }
    m.archive_format = r.str(j, "archive_format");
    m.archive = r.str(j, "archive");
    m.tool_version = r.str(j, "tool_version");
    m.pg_dump_version = r.str(j, "pg_dump_version");
    for (const auto& a : r.list(j, "pg_dump_argv")) {
        m.pg_dump_argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    }
    for (const auto& f : r.list(j, "files")) {
        m.files.push_back({r.str(f, "name", "files[]."), r.num(f, "bytes", "files[]."),
                           r.str(f, "sha256", "files[].")});
    }
    m.total_bytes = r.num(j, "total_bytes");
    if (j.contains("encryption")) {
        const json& e = r.at(j, "encryption");
        m.cipher = r.str(e, "cipher", "encryption.");
        m.cipher_segment_bytes = r.num(e, "segment_bytes", "encryption.");
        m.key_fingerprint = r.str(e, "key_fingerprint", "encryption.");
    }
}

ArchiveHeader read_listing(const Reader& r, const json& j) {
    const json& l = r.at(j, "listing");
    ArchiveHeader h;
    h.created_at = r.str(l, "created_at", "listing.");
    h.database = r.str(l, "database", "listing.");
    h.toc_entries = static_cast<int>(r.num(l, "toc_entries", "listing."));
    h.compression = r.str(l, "compression", "listing.");
    h.dump_version = r.str(l, "dump_version", "listing.");
    h.format = r.str(l, "format", "listing.");
    h.dumped_from = r.str(l, "dumped_from", "listing.");
    h.dumped_by = r.str(l, "dumped_by", "listing.");
    h.table_data_entries = static_cast<int>(r.num(l, "table_data_entries", "listing."));
    return h;
}

// tables through error: row counts, verifications, pin and failure.
void read_checks(const Reader& r, const json& j, Manifest& m) {
    for (const auto& t : r.list(j, "tables")) {
        m.tables.push_back({r.str(t, "table", "tables[]."), r.num(t, "rows", "tables[].")});
    }
    for (const auto& v : r.list(j, "verifications")) {
        m.verifications.push_back(
            {r.str(v, "at", "verifications[]."), r.str(v, "how", "verifications[]."),
             r.flag(v, "ok", "verifications[]."), r.str(v, "detail", "verifications[].")});
    }
    m.pinned = r.flag(j, "pinned");
    m.error = r.str(j, "error");
    if (m.kind == BackupKind::restore_point) {
        const json& rp = r.at(j, "restore_point");
        m.restore_point = RestorePointInfo{
            r.str(rp, "name", "restore_point."), r.str(rp, "lsn", "restore_point."),
            r.str(rp, "stanza", "restore_point."), r.str(rp, "base_backup", "restore_point.")};
    }
}

}  // namespace

Manifest parse_manifest(const std::string& text, const std::filesystem::path& path) {
    // Keys are read in the document's order, so a damaged manifest names the
    // first key that is wrong.
    Reader r(path);
    json j = checked_document(text, path, r);
    Manifest m;
    read_what_and_when(r, j, m);
    m.source = read_source(r, j);
    read_archive(r, j, m);
    m.header = read_listing(r, j);
    read_checks(r, j, m);
    return m;
}

Manifest read_manifest(const std::filesystem::path& backup_dir) {
    auto path = backup_dir / k_manifest_name;
    auto text = util::read_file_if_exists(path);
    if (!text) {
        throw Error(ExitCode::backup_failed, path.string() + " is missing",
                    "A backup without a manifest is incomplete and cannot be restored.");
    }
    return parse_manifest(*text, path);
}

void write_manifest(const std::filesystem::path& backup_dir, const Manifest& m) {
    util::write_file_atomic(
        backup_dir / k_manifest_name, manifest_to_text(m),
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::string new_backup_id(std::chrono::system_clock::time_point now, const std::string& suffix) {
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    std::string safe;
    for (char c : suffix) {
        bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
        safe += ok ? c : '-';
    }
    safe = safe.substr(0, 40);
    return safe.empty() ? std::string(stamp) : std::string(stamp) + "-" + safe;
}

}  // namespace sm::backup
