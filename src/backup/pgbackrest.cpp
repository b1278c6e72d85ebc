#include "backup/pgbackrest.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::backup {
namespace {

// An argument as a shell reads it back: quoted only when it needs to be.
std::string shell_word(const std::string& arg) {
    bool plain = !arg.empty() && arg.find_first_not_of(
                                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                     "QRSTUVWXYZ0123456789-_=./:,@%+") == std::string::npos;
    if (plain) {
        return arg;
    }
    std::string quoted = "'";
    for (char c : arg) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

}  // namespace

std::vector<std::string> pgbackrest_args(const PgBackRest& p, const std::string& command,
                                         const std::vector<std::string>& options) {
    std::vector<std::string> args;
    if (p.config) {
        args.push_back("--config=" + p.config->string());
    }
    args.push_back("--stanza=" + p.stanza);
    args.push_back(command);
    args.insert(args.end(), options.begin(), options.end());
    return args;
}

std::string pgbackrest_command_line(const PgBackRest& p, const std::string& command,
                                    const std::vector<std::string>& options) {
    std::string line = "pgbackrest";
    for (const auto& a : pgbackrest_args(p, command, options)) {
        line += " " + shell_word(a);
    }
    return line;
}

std::optional<util::RunAs> cluster_account(const std::optional<std::filesystem::path>& data_dir) {
    if (::geteuid() != 0) {
        return std::nullopt;
    }
    struct stat st {};
    if (data_dir && ::stat(data_dir->c_str(), &st) == 0 && st.st_uid != 0) {
        return util::RunAs{st.st_uid, st.st_gid, std::to_string(st.st_uid)};
    }
    return util::lookup_user("postgres");
}

util::ProcessResult run_pgbackrest(const PgBackRest& p, const std::string& command,
                                   const std::vector<std::string>& options) {
    auto program = util::find_on_path("pgbackrest");
    if (!program) {
        throw Error(ExitCode::backup_failed,
                    "pgbackrest is not installed; [backup] engine = \"pgbackrest\" needs it",
                    "Install it with 'apt-get install pgbackrest' (Debian and Ubuntu).");
    }
    util::ProcessSpec spec;
    spec.program = program->string();
    spec.args = pgbackrest_args(p, command, options);
    spec.run_as = p.run_as;
    spec.env_set = {{"LC_ALL", "C.UTF-8"}};
    if (p.run_as) {
        spec.cwd = "/";  // the owner may not be able to enter our working directory
    }
    util::ProcessResult r = util::run_process(spec);
    if (!r.ok()) {
        // pgBackRest's stderr holds only its warnings and errors ("ERROR: [037]: ...",
        // then an indented "HINT: ...").
        std::string why =
            std::string(util::trim(util::last_lines(r.err.empty() ? r.out : r.err, 5)));
        throw Error(ExitCode::backup_failed,
                    "pgbackrest " + command + " " + r.how_it_ended() +
                        (why.empty() ? "" : ":\n  " + util::redact_text(why)));
    }
    return r;
}

std::optional<BaseBackup> newest_base_backup(
    const std::string& info_json, const std::string& stanza,
    std::optional<std::chrono::system_clock::time_point> before) {
    nlohmann::json info;
    try {
        info = nlohmann::json::parse(info_json);
    } catch (const nlohmann::json::exception& e) {
        throw Error(ExitCode::backup_failed,
                    std::string("pgbackrest info did not print JSON: ") + e.what());
    }
    const nlohmann::json* found = nullptr;
    if (!info.is_array()) {
        info = nlohmann::json::array();
    }
    for (const auto& s : info) {
        if (s.is_object() && s.value("name", "") == stanza) {
            found = &s;
        }
    }
    if (found == nullptr) {
        throw Error(ExitCode::backup_failed, "pgbackrest info does not list stanza " + stanza,
                    "Create it with 'pgbackrest --stanza=" + stanza +
                        " stanza-create' as the cluster's owner.");
    }
    std::optional<BaseBackup> newest;
    for (const auto& b : found->value("backup", nlohmann::json::array())) {
        std::string type = b.value("type", "");
        if ((type != "full" && type != "diff") || b.value("error", false)) {
            continue;
        }
        auto stop = std::chrono::system_clock::from_time_t(
            b.at("timestamp").value("stop", static_cast<std::time_t>(0)));
        if ((before && stop >= *before) || (newest && stop <= newest->stopped)) {
            continue;
        }
        newest = BaseBackup{b.value("label", ""), type, stop};
    }
    return newest;
}

}  // namespace sm::backup
