#include "util/git.hpp"

#include <algorithm>

#include "util/error.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sm::util {
namespace {

namespace fs = std::filesystem;

ProcessSpec git_spec(const fs::path& cwd, std::vector<std::string> args) {
    ProcessSpec spec;
    spec.program = "git";
    spec.args = std::move(args);
    spec.cwd = cwd;
    return spec;
}

ProcessResult run_git(const fs::path& cwd, std::vector<std::string> args) {
    return run_process(git_spec(cwd, std::move(args)));
}

// The output of a git command that must succeed; throws sm::Error (failure)
// naming the command and the tail of its stderr otherwise.
std::string git_output(const fs::path& cwd, std::vector<std::string> args) {
    ProcessSpec spec = git_spec(cwd, std::move(args));
    ProcessResult result = run_process(spec);
    require_success(spec, result);
    return result.out;
}

// Non-empty entries of git output split at separator (NUL with -z, else newline).
std::vector<std::string> entries(const std::string& out, char separator) {
    std::vector<std::string> kept;
    for (auto& entry : split(out, separator)) {
        if (!trim(entry).empty()) {
            kept.push_back(std::move(entry));
        }
    }
    return kept;
}

bool is_hex(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

// The remote a ref names ("origin/main" -> "origin"), else origin, else the first.
std::string remote_of(const std::string& ref, const std::vector<std::string>& remotes) {
    for (const auto& remote : remotes) {
        if (starts_with(ref, remote + "/")) {
            return remote;
        }
    }
    bool has_origin = std::find(remotes.begin(), remotes.end(), "origin") != remotes.end();
    return has_origin || remotes.empty() ? "origin" : remotes.front();
}

// ref must be a commit of this clone that shares history with HEAD, or
// REF...HEAD means nothing; each failure says how to fix the clone.
void require_base(const std::string& ref, const fs::path& top) {
    std::vector<std::string> remotes = entries(git_output(top, {"remote"}), '\n');
    if (!run_git(top, {"rev-parse", "--verify", "--quiet", ref + "^{commit}"}).ok()) {
        std::string fetch = git_fetch_command(ref, remotes);
        throw Error(
            ExitCode::usage,
            "--changed-since: '" + ref + "' is not a commit of the git clone at " + top.string(),
            fetch.empty() ? "Run `git branch --all` to list the branches this clone knows."
                          : "CI checkouts are often shallow: fetch it with `" + fetch + "`.");
    }
    ProcessSpec spec = git_spec(top, {"merge-base", ref, "HEAD"});
    ProcessResult base = run_process(spec);
    if (base.signal == 0 && base.exit_code == 1) {  // no common ancestor
        bool shallow = trim(git_output(top, {"rev-parse", "--is-shallow-repository"})) == "true";
        if (shallow && !remotes.empty()) {
            throw Error(
                ExitCode::usage,
                "--changed-since: '" + ref + "' and HEAD share no commit in this shallow clone",
                "Deepen its history with `git fetch --deepen=100 " + remote_of(ref, remotes) +
                    "`.");
        }
        throw Error(ExitCode::usage, "--changed-since: '" + ref + "' and HEAD share no commit");
    }
    require_success(spec, base);
}

}  // namespace

std::string git_fetch_command(const std::string& ref, const std::vector<std::string>& remotes) {
    if (remotes.empty()) {
        return "";
    }
    const std::string prefix = "git fetch --deepen=100 ";
    std::string name = starts_with(ref, "refs/remotes/") ? ref.substr(13) : ref;
    std::string remote = remote_of(name, remotes);
    if (starts_with(name, remote + "/") && name.size() > remote.size() + 1) {
        std::string branch = name.substr(remote.size() + 1);
        return prefix + remote + " " + branch + ":refs/remotes/" + remote + "/" + branch;
    }
    if (is_hex(ref) && (ref.size() == 40 || ref.size() == 64)) {
        return prefix + remote + " " + ref;
    }
    bool short_id = is_hex(ref) && ref.size() >= 7;  // git abbreviates to 7 or more
    if (short_id || ref.find_first_of("~^@:") != std::string::npos) {
        return prefix + remote;  // an older commit of HEAD's line, most likely
    }
    return prefix + remote + " " + ref + ":" + ref;
}

GitChanges git_changed_since(const std::string& ref, const fs::path& dir) {
    if (ref.empty() || ref[0] == '-') {
        throw Error(ExitCode::usage, "--changed-since needs a git revision, not '" + ref + "'");
    }
    // 1. The work tree: git names paths relative to its top.
    ProcessResult top = run_git(dir, {"rev-parse", "--show-toplevel"});
    if (!top.ok()) {
        throw Error(ExitCode::usage, "--changed-since: " + dir.string() +
                                         " is not in a git work tree (" +
                                         std::string(trim(last_lines(top.err, 1))) + ")");
    }
    GitChanges changes;
    changes.top = std::string(trim(top.out));
    // 2. The base must be here, with history shared with HEAD.
    require_base(ref, changes.top);
    // 3. The branch's commits, the index and work tree, untracked .sql files.
    const std::vector<std::vector<std::string>> listings = {
        {"diff", "--name-only", "-z", ref + "...HEAD", "--"},
        {"diff", "--name-only", "-z", "HEAD", "--"},
        {"ls-files", "--others", "--exclude-standard", "--full-name", "-z", "--", "*.sql"},
    };
    for (const auto& args : listings) {
        for (const auto& path : entries(git_output(changes.top, args), '\0')) {
            changes.paths.push_back(changes.top / path);
        }
    }
    std::sort(changes.paths.begin(), changes.paths.end());
    changes.paths.erase(std::unique(changes.paths.begin(), changes.paths.end()),
                        changes.paths.end());
    return changes;
}

}  // namespace sm::util
