#pragma once
// What `lint --changed-since` asks git: the files a branch and its work tree
// changed since a base revision. git runs through util/process (an argv, never a
// shell); this is the only code that starts it.

#include <filesystem>
#include <string>
#include <vector>

namespace sm::util {

struct GitChanges {
    std::filesystem::path top;  // the work tree's top (git rev-parse --show-toplevel)
    std::vector<std::filesystem::path> paths;  // absolute: top / each path git named
};

// The files changed since ref in the git work tree that holds dir: those that
// `git diff --name-only REF...HEAD` names (commits since the branch left ref),
// those with staged or unstaged changes (`git diff --name-only HEAD`), and
// untracked .sql files that are not ignored (`git ls-files --others
// --exclude-standard`). Paths git names for deleted files are included; callers
// that want files on disk keep those that exist.
// Throws sm::Error (usage) when dir is not in a git work tree, when ref names no
// commit of this clone (the hint is the git fetch that brings it), or when ref and
// HEAD share no history (in a shallow clone the hint deepens it); (failure) when
// git cannot be started or fails otherwise, naming the command and its stderr.
GitChanges git_changed_since(const std::string& ref, const std::filesystem::path& dir);

// The command that brings ref into a clone with these remotes (`git remote`), as
// the hint for a ref git does not know: "origin/main" is fetched into
// refs/remotes/origin/main, a branch or tag name into the same local name, a full
// commit id as itself, and a revision expression ("HEAD~3", a short id) by
// deepening the history. --deepen, not --depth: a shallow HEAD needs its own
// history deepened, or the fetched ref still shares no commit with it. Empty
// when there is no remote to fetch from.
std::string git_fetch_command(const std::string& ref, const std::vector<std::string>& remotes);

}  // namespace sm::util
