#include "backup/pg_tools.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/error.hpp"
#include "util/process.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::backup {

namespace {

std::string install_hint(int server_major) {
    std::string package = "postgresql-client-" + std::to_string(server_major);
    return "Install " + package + " (apt-get install " + package + ") or set [backup] pg_bin_dir.";
}

// Reads the decimal number at the start of text into value; the number of
// digits read, 0 when there are none or it does not fit an int.
size_t read_int(std::string_view text, int& value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc()) {
        return 0;
    }
    return static_cast<size_t>(end - text.data());
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// "15.8 (Debian ...)", "16devel", "16beta2", "9.6.24": the version that follows
// "(PostgreSQL) " (or another distribution's parenthesised name) on a line.
std::optional<ToolVersion> version_on_line(std::string_view line) {
    size_t close = line.find(") ");
    while (close != std::string_view::npos) {
        std::string_view rest = util::trim(line.substr(close + 2));
        int major = 0;
        size_t used = read_int(rest, major);
        if (used > 0 && major > 0) {
            ToolVersion version;
            version.major = major;
            // Releases since 10 are major.minor; older ones major.minor.patch,
            // where the first two numbers both belong to the major version (9.6)
            // and the major part alone is still enough to compare with a server.
            if (used < rest.size() && rest[used] == '.' && used + 1 < rest.size() &&
                is_digit(rest[used + 1])) {
                read_int(rest.substr(used + 1), version.minor);
            }
            version.text = std::string(rest);
            return version;
        }
        close = line.find(") ", close + 1);
    }
    return std::nullopt;
}

bool is_executable_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

// "14.9" from "14.9 (Debian 14.9-1)", as the refusal message shows it.
std::string short_version(const ToolVersion& tool) {
    std::string_view text = util::trim(tool.text);
    if (text.empty()) {
        return std::to_string(tool.major) + "." + std::to_string(tool.minor);
    }
    return std::string(text.substr(0, text.find(' ')));
}

// The first line of text, shortened, to quote in an error message.
std::string first_line(std::string_view text) {
    constexpr size_t k_max = 80;
    std::string_view line = util::trim(text.substr(0, text.find('\n')));
    if (line.size() > k_max) {
        return std::string(line.substr(0, k_max)) + "...";
    }
    return std::string(line);
}

// The value of a header line ";     Key: value" when its key is key.
std::optional<std::string> header_value(std::string_view body, std::string_view key) {
    if (!util::starts_with(body, key) || body.size() < key.size() + 1 || body[key.size()] != ':') {
        return std::nullopt;
    }
    return std::string(util::trim(body.substr(key.size() + 1)));
}

// Whether a listing entry ("3368; 0 16386 TABLE DATA public t postgres") is of
// type TABLE DATA: the type follows the dump id and two object ids.
bool is_table_data_entry(std::string_view line) {
    size_t semicolon = line.find(';');
    if (semicolon == std::string_view::npos || semicolon == 0) {
        return false;
    }
    for (char c : line.substr(0, semicolon)) {
        if (!is_digit(c)) {
            return false;
        }
    }
    std::string_view rest = line.substr(semicolon + 1);
    for (int field = 0; field < 2; ++field) {
        rest = util::trim(rest);
        size_t space = rest.find(' ');
        if (space == std::string_view::npos) {
            return false;
        }
        rest = rest.substr(space);
    }
    return util::starts_with(util::trim(rest), "TABLE DATA ");
}

// The table a progress line names, or std::nullopt when it is not one.
// pg_dump and pg_restore write "pg_dump:", " " and the message as three
// separate writes, and parallel workers share the leader's stderr, so another
// process's prefix can land in front of a message: the message is searched for
// anywhere in the line, and it always runs to the end of the line.
std::optional<std::string> table_of_progress_line(std::string_view line) {
    static constexpr std::string_view k_markers[] = {
        "dumping contents of table \"",  // pg_dump, serial and in each -j worker
        "processing data for table \"",  // pg_restore, serial and in each -j worker
    };
    for (std::string_view marker : k_markers) {
        size_t at = line.find(marker);
        if (at == std::string_view::npos) {
            continue;
        }
        std::string_view name = line.substr(at + marker.size());
        // The name is printed unquoted inside the quotes, so it may hold '"'.
        if (name.empty() || name.back() != '"') {
            return std::nullopt;
        }
        name.remove_suffix(1);
        return std::string(name);
    }
    return std::nullopt;
}

// The versioned binary behind Debian's pg_wrapper (see find_pg_tool), or
// found itself when it is not the wrapper or no version is new enough.
std::filesystem::path unwrap_debian_wrapper(const std::filesystem::path& found,
                                            const std::string& name, int server_major) {
    std::error_code ec;
    if (std::filesystem::canonical(found, ec).filename() != "pg_wrapper" || ec) {
        return found;
    }
    std::filesystem::path best = found;
    int best_major = server_major - 1;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
        int major = 0;
        std::string version = entry.path().filename().string();
        if (read_int(version, major) != version.size() || major <= best_major) {
            continue;
        }
        std::filesystem::path program = entry.path() / "bin" / name;
        if (is_executable_file(program)) {
            best = program;
            best_major = major;
        }
    }
    return best;
}

}  // namespace

std::optional<ToolVersion> parse_tool_version(const std::string& output) {
    for (const std::string& line : util::split(output, '\n')) {
        if (auto version = version_on_line(util::trim(line))) {
            return version;
        }
    }
    return std::nullopt;
}

std::filesystem::path find_pg_tool(const std::string& name,
                                   const std::optional<std::filesystem::path>& bin_dir,
                                   int server_major) {
    if (bin_dir) {
        std::filesystem::path program = *bin_dir / name;
        if (!is_executable_file(program)) {
            std::error_code ec;
            bool exists = std::filesystem::exists(program, ec);
            throw Error(
                ExitCode::backup_failed,
                program.string() + (exists ? " is not an executable file" : " does not exist"),
                "Set [backup] pg_bin_dir to the directory that holds " + name +
                    ", or remove it to use " + name + " from PATH.");
        }
        return program;
    }
    if (auto on_path = util::find_on_path(name)) {
        return unwrap_debian_wrapper(*on_path, name, server_major);
    }
    std::filesystem::path packaged =
        std::filesystem::path("/usr/lib/postgresql") / std::to_string(server_major) / "bin" / name;
    if (is_executable_file(packaged)) {
        return packaged;
    }
    throw Error(ExitCode::backup_failed,
                "cannot find " + name + " on PATH or in " + packaged.parent_path().string(),
                install_hint(server_major));
}

ToolVersion read_tool_version(const std::filesystem::path& program) {
    util::ProcessSpec spec{program.string(), {"--version"}, {}, {}, std::nullopt, std::nullopt};
    util::ProcessResult result;
    try {
        result = util::run_process(spec);
    } catch (const Error& e) {
        throw Error(ExitCode::backup_failed,
                    "cannot run " + program.string() + " --version: " + e.what(), e.hint());
    }
    if (!result.ok()) {
        std::string message = program.string() + " --version " + result.how_it_ended();
        std::string tail = util::redact_text(util::last_lines(result.err, 5));
        if (!tail.empty()) {
            message += ":\n" + util::indent(tail, "  ");
        }
        throw Error(ExitCode::backup_failed, message);
    }
    auto version = parse_tool_version(result.out);
    if (!version) {
        std::string first = first_line(result.out);
        throw Error(ExitCode::backup_failed,
                    program.string() + " --version printed no version" +
                        (first.empty() ? "" : ": " + first),
                    "Check that " + program.string() + " is PostgreSQL's " +
                        program.filename().string() + ".");
    }
    return *version;
}

void require_tool_for_server(const std::string& name, const ToolVersion& tool, int server_major) {
    // pg_dump reads the catalogs of servers up to its own major version only;
    // a newer pg_dump handles older servers.
    if (tool.major >= server_major) {
        return;
    }
    std::string verb = name == "pg_restore" ? " cannot restore to" : " cannot dump";
    throw Error(ExitCode::backup_failed,
                name + " " + short_version(tool) + verb + " a PostgreSQL " +
                    std::to_string(server_major) + " server",
                install_hint(server_major));
}

ArchiveHeader parse_archive_listing(const std::string& listing) {
    constexpr std::string_view k_created_at = "Archive created at ";
    ArchiveHeader header;
    bool seen_created = false;
    bool seen_toc = false;
    bool in_entries = false;
    for (const std::string& raw : util::split(listing, '\n')) {
        std::string_view line = util::trim(raw);
        if (line.empty()) {
            continue;
        }
        if (line.front() != ';') {
            if (in_entries && is_table_data_entry(line)) {
                ++header.table_data_entries;
            }
            continue;
        }
        // Comment lines among the entries are entries switched off (pg_restore -L).
        if (in_entries) {
            continue;
        }
        std::string_view body = util::trim(line.substr(1));
        if (body == "Selected TOC Entries:") {
            in_entries = true;
        } else if (util::starts_with(body, k_created_at)) {
            header.created_at = std::string(util::trim(body.substr(k_created_at.size())));
            seen_created = true;
        } else if (auto v = header_value(body, "dbname")) {
            header.database = *v;
        } else if (auto v = header_value(body, "TOC Entries")) {
            size_t used = read_int(*v, header.toc_entries);
            seen_toc = used > 0 && used == v->size();
        } else if (auto v = header_value(body, "Compression")) {
            header.compression = *v;
        } else if (auto v = header_value(body, "Dump Version")) {
            header.dump_version = *v;
        } else if (auto v = header_value(body, "Format")) {
            header.format = *v;
        } else if (auto v = header_value(body, "Dumped from database version")) {
            header.dumped_from = *v;
        } else if (auto v = header_value(body, "Dumped by pg_dump version")) {
            header.dumped_by = *v;
        }
    }
    if (!seen_created || !seen_toc) {
        std::string first = first_line(listing);
        throw Error(ExitCode::backup_failed,
                    std::string("not a pg_restore listing: no ") +
                        (seen_created ? "\"TOC Entries\"" : "\"Archive created at\"") + " line" +
                        (first.empty() ? "" : " (first line: " + first + ")"),
                    "The archive may be damaged or not a pg_dump archive; check it with "
                    "pg_restore -l.");
    }
    return header;
}

int ProgressCounter::feed(const std::string& chunk) {
    m_partial += chunk;
    size_t start = 0;
    for (size_t newline = m_partial.find('\n', start); newline != std::string::npos;
         newline = m_partial.find('\n', start)) {
        std::string_view text(m_partial.data() + start, newline - start);
        if (!text.empty() && text.back() == '\r') {
            text.remove_suffix(1);
        }
        line(text);
        start = newline + 1;
    }
    m_partial.erase(0, start);
    return m_count;
}

void ProgressCounter::finish(std::string table) {
    // table may be an element of m_running: it is a copy by now.
    m_running.erase(std::remove(m_running.begin(), m_running.end(), table), m_running.end());
    m_finished.push_back(std::move(table));
}

void ProgressCounter::line(std::string_view text) {
    constexpr std::string_view k_finished = "finished item ";
    if (text.find("entering main parallel loop") != std::string_view::npos) {
        m_parallel = true;
    }
    size_t done = text.find(k_finished);
    if (done != std::string_view::npos) {
        m_parallel = true;
        // "finished item 3368 TABLE DATA t": the name without its schema.
        std::string_view rest = text.substr(done + k_finished.size());
        size_t data = rest.find(" TABLE DATA ");
        if (data == std::string_view::npos) {
            return;
        }
        std::string name(rest.substr(data + 12));
        for (const auto& running : m_running) {
            bool same = running == name || (running.size() > name.size() &&
                                            running.compare(running.size() - name.size() - 1,
                                                            std::string::npos, "." + name) == 0);
            if (same) {
                finish(running);
                return;
            }
        }
        finish(name);  // its start line was garbled by another process's output
        return;
    }
    // "finished item N TABLE DATA t" lines are not counted as starts: the
    // parallel leader prints them for items whose worker already printed the
    // line below, so they would count twice.
    std::optional<std::string> table = table_of_progress_line(text);
    if (!m_parallel && !m_running.empty() && !util::trim(text).empty()) {
        finish(m_running.back());  // serial: the tool moved on
    }
    if (table) {
        ++m_count;
        m_last_table = *table;
        m_running.push_back(std::move(*table));
    }
}

std::string error_lines(const std::string& stderr_text) {
    std::vector<std::string> all;
    std::vector<std::string> errors;
    size_t start = 0;
    while (start < stderr_text.size()) {
        size_t end = stderr_text.find('\n', start);
        std::string line =
            stderr_text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? stderr_text.size() : end + 1;
        if (line.empty()) {
            continue;
        }
        all.push_back(line);
        for (const char* marker : {"error:", "FATAL", "detail:", "DETAIL:", "hint:", "HINT:"}) {
            if (line.find(marker) != std::string::npos) {
                errors.push_back(line);
                break;
            }
        }
    }
    const auto& chosen = errors.empty() ? all : errors;
    size_t first = chosen.size() > 5 ? chosen.size() - 5 : 0;
    std::string out;
    for (size_t i = first; i < chosen.size(); ++i) {
        out += (out.empty() ? "" : "\n") + chosen[i];
    }
    return out;
}

}  // namespace sm::backup
