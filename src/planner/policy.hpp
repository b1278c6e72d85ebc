#pragma once
// Lint policies: each rule's severity, the target PostgreSQL version and
// thresholds. Shipped policies live in policies/ (default.toml, strict.toml); a
// project policy may `extends = "default"` (a shipped name or a path relative
// to itself) and override single rules.
//
//   extends = "default"
//   pg_version = 15
//   [thresholds]
//   max_lock_timeout = "10s"
//   small_table_bytes = 10485760    # below this, lock/rewrite findings on an
//                                   # existing table are warnings (plan, execute)
//   [rules]
//   ban-drop-column = "warning"     # error | warning | off

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "planner/lint_types.hpp"

namespace sm::planner {

struct Policy {
    std::string name = "built-in";
    std::filesystem::path file;  // the policy file read last, if any
    int pg_version = 150000;     // server_version_num of the target
    long long max_lock_timeout_ms = 10000;
    // An existing table smaller than this (pg_total_relation_size) draws lock and
    // rewrite findings as warnings in plan and execute (rule_catalog.hpp
    // size_dependent); 0 turns the discount off. lint, with no database, never applies it.
    long long small_table_bytes = 10LL * 1024 * 1024;
    std::map<std::string, Severity> severity;  // rule id -> severity; absent: the catalog default

    Severity severity_of(const std::string& rule) const;
};

// The directory of the shipped policies: $SAFE_MIGRATE_POLICIES, else
// core::share_dir()/policies (installed beside the binary, or the source tree
// for a binary in its build tree). Throws sm::Error (failure) naming where it
// looked when there is no share directory.
std::filesystem::path shipped_policies_dir();

// Loads a policy: a shipped name ("default", "strict") or a path. With no name,
// ./safe-migrate-policy.toml when present, else the shipped default. Throws
// sm::Error (invalid_input) naming the file, line and key on bad input, an
// unknown rule id, or an extends cycle.
Policy load_policy(const std::optional<std::string>& name_or_path);

// Parses policy text as if read from file (extends is resolved relative to it).
Policy parse_policy(const std::string& text, const std::filesystem::path& file);

// The policy's content identity, for the plan artifact: SHA-256 (hex) over a
// canonical text of the effective policy (the PostgreSQL major version, every
// threshold, and the severity of every catalog rule, defaults included). Equal
// for equal content whatever the file, the name or the order of its keys.
std::string policy_hash(const Policy& policy);

}  // namespace sm::planner
