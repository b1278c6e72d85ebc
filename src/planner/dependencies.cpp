#include "planner/dependencies.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "planner/linter.hpp"
#include "planner/policy.hpp"

namespace sm::planner {
namespace {

std::string up_file_name(const core::Migration& m) {
    return m.up.path.filename().string();
}

// Depth-first search for cycles: a requirement back to a migration still on
// the path closes one, reported once, in path order.
class CycleFinder {
  public:
    CycleFinder(const core::MigrationSet& set,
                const std::map<core::Version, std::vector<core::Version>>& required,
                std::vector<core::SourceProblem>& problems)
        : m_set(set), m_required(required), m_problems(problems) {}

    void visit(const core::Version& v) {
        if (m_done.count(v) != 0) {
            return;
        }
        auto on_path = std::find(m_path.begin(), m_path.end(), v);
        if (on_path != m_path.end()) {
            report(std::vector<core::Version>(on_path, m_path.end()));
            return;
        }
        m_path.push_back(v);
        if (auto it = m_required.find(v); it != m_required.end()) {
            for (const auto& r : it->second) {
                visit(r);
            }
        }
        m_path.pop_back();
        m_done.insert(v);
    }

  private:
    void report(const std::vector<core::Version>& cycle) {
        const core::Migration& first = *m_set.find(cycle.front());
        std::string message = "requires cycle: " + up_file_name(first);
        for (size_t i = 1; i < cycle.size(); ++i) {
            message += " requires " + up_file_name(*m_set.find(cycle[i]));
        }
        message += " requires " + up_file_name(first);
        m_problems.push_back({first.up.path, first.up.directives.required_line, message});
    }

    const core::MigrationSet& m_set;
    const std::map<core::Version, std::vector<core::Version>>& m_required;
    std::vector<core::SourceProblem>& m_problems;
    std::vector<core::Version> m_path;
    std::set<core::Version> m_done;
};

const std::vector<core::Version>& no_versions() {
    static const std::vector<core::Version> k_none;
    return k_none;
}

bool has_version(const std::vector<core::Version>& list, const core::Version& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

const core::Migration* find_requirement(const core::MigrationSet& set, const std::string& text) {
    for (const auto& m : set.migrations) {
        if (m.id() == text) {
            return &m;
        }
    }
    std::string digits = text;
    if (digits.size() > 1 && (digits[0] == 'V' || digits[0] == 'v') &&
        std::isdigit(static_cast<unsigned char>(digits[1])) != 0) {
        digits.erase(0, 1);
    }
    std::erase(digits, '-');
    auto version = core::Version::parse(digits);
    return version ? set.find(*version) : nullptr;
}

Dependencies Dependencies::build(const core::MigrationSet& set,
                                 std::vector<core::SourceProblem>& problems) {
    Dependencies out;
    for (const auto& m : set.migrations) {
        const auto& d = m.up.directives;
        for (const auto& text : d.required) {
            const core::Migration* r = find_requirement(set, text);
            if (r == nullptr) {
                problems.push_back({m.up.path, d.required_line,
                                    "requires " + text + ": no migration has this version or id"});
            } else if (r == &m) {
                problems.push_back({m.up.path, d.required_line,
                                    "requires " + text + ": a migration cannot require itself"});
            } else if (!has_version(out.m_required[m.version], r->version)) {
                out.m_required[m.version].push_back(r->version);
            }
        }
    }
    CycleFinder finder(set, out.m_required, problems);
    for (const auto& [version, required] : out.m_required) {
        finder.visit(version);
    }
    return out;
}

const std::vector<core::Version>& Dependencies::required_by(const core::Version& version) const {
    auto it = m_required.find(version);
    return it == m_required.end() ? no_versions() : it->second;
}

std::vector<core::Version> Dependencies::requirers_of(const core::Version& version) const {
    std::vector<core::Version> out;
    for (const auto& [v, required] : m_required) {
        if (has_version(required, version)) {
            out.push_back(v);
        }
    }
    return out;
}

std::vector<std::string> unmet_requirements(const core::MigrationSet& set,
                                            const Dependencies& dependencies,
                                            const std::vector<core::Version>& applied,
                                            const std::vector<core::Version>& steps) {
    std::vector<std::string> out;
    for (auto step = steps.begin(); step != steps.end(); ++step) {
        for (const auto& r : dependencies.required_by(*step)) {
            if (has_version(applied, r) || std::find(steps.begin(), step, r) != step) {
                continue;
            }
            const core::Migration* m = set.find(*step);
            const core::Migration* req = set.find(r);
            out.push_back((m ? m->id() : step->text()) + " requires " +
                          (req ? req->id() : r.text()) +
                          ", which is neither applied nor applied earlier in this run");
        }
    }
    return out;
}

std::vector<std::string> created_relations(const core::MigrationFile& up) {
    static const Policy k_policy = load_policy(std::nullopt);
    std::vector<std::string> out;
    for (const auto& o : lint_file(LintInput(up), k_policy).created_objects) {
        if (o.dropped) {
            std::erase(out, o.name);
        } else if (std::find(out.begin(), out.end(), o.name) == out.end()) {
            out.push_back(o.name);
        }
    }
    return out;
}

std::vector<std::string> touched_relations(const core::MigrationFile& up,
                                           const core::Script& script,
                                           const std::vector<std::string>& names) {
    static const Policy k_policy = load_policy(std::nullopt);
    std::vector<std::string> touched = script.tables();
    for (const auto& o : lint_file(LintInput(up), k_policy).created_objects) {
        touched.push_back(o.name);
        touched.push_back(o.table);
    }
    std::vector<std::string> out;
    for (const auto& name : names) {
        if (std::find(touched.begin(), touched.end(), name) != touched.end()) {
            out.push_back(name);
        }
    }
    return out;
}

}  // namespace sm::planner
