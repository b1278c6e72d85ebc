#include "deploy/rewrite.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "core/scaffold_layouts.hpp"
#include "db/session.hpp"
#include "deploy/inspect.hpp"
#include "deploy/rewrite_facts.hpp"
#include "executor/trace.hpp"
#include "planner/rewrite.hpp"
#include "planner/rewrite_proof.hpp"
#include "planner/script_builder.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace sm::deploy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Applies inputs to a fresh copy of target's schema (database dbname of
// cluster) and judges steps.
std::vector<std::string> prove_on_copy(const sandbox::ThrowawayCluster& cluster,
                                       const core::Target& target, const std::string& dbname,
                                       const std::vector<executor::TraceInput>& inputs,
                                       const std::vector<planner::ProofStep>& steps,
                                       std::chrono::milliseconds lock_timeout) {
    return planner::proof_problems(trace_on_copy(cluster, target, dbname, inputs), steps,
                                   lock_timeout);
}

// One step ready to write and to prove.
struct PlannedStep {
    core::Version version;
    std::string written;  // the version as the file name writes it: "0008"
    const planner::RewriteStep* step = nullptr;
    std::string change;
    std::string id() const { return written + "_" + step->name; }
};

// The scripts of a recipe's steps, parsed as the project parses its files.
std::vector<core::Script> step_scripts(const std::vector<PlannedStep>& planned, const fs::path& dir,
                                       bool unproven) {
    std::vector<core::Script> scripts;
    std::vector<core::SourceProblem> problems;
    for (const auto& p : planned) {
        core::MigrationFile file = core::migration_file(
            dir / (p.id() + ".up.sql"), planner::step_file_text(*p.step, p.change, unproven, false),
            problems);
        scripts.push_back(planner::build_script(file, problems));
    }
    core::throw_if_problems(problems, "the rewritten steps");  // a bug if it ever fires
    return scripts;
}

json rewrite_step_json(const PlannedStep& p) {
    return {{"version", p.written},
            {"name", p.step->name},
            {"phase", core::phase_name(p.step->phase)},
            {"no_transaction", p.step->no_transaction},
            {"up", p.step->up},
            {"down", p.step->down}};
}

std::string rewrite_step_text(const PlannedStep& p) {
    return "    " + p.id() + " (" + core::phase_name(p.step->phase) +
           (p.step->no_transaction ? ", no transaction" : "") +
           (p.step->down.empty() ? ", no down: what it deletes cannot come back" : "") + ")\n" +
           util::indent(util::trim(p.step->up), "      ") + "\n";
}

// The recipes' steps, numbered in order after the newest migration.
std::vector<std::vector<PlannedStep>> plan_steps_of(const std::vector<planner::Rewrite>& rewrites,
                                                    const core::MigrationSet& migrations,
                                                    core::Layout layout) {
    size_t count = 0;
    for (const auto& r : rewrites) {
        count += r.steps.size();
    }
    auto versions =
        core::scaffold::next_versions(layout, migrations, count, std::chrono::system_clock::now());
    std::vector<std::vector<PlannedStep>> out;
    size_t v = 0;
    for (const auto& r : rewrites) {
        out.emplace_back();
        for (const auto& step : r.steps) {
            const std::string& written = versions[v++];
            out.back().push_back({core::Version::parse(written).value_or(core::Version()), written,
                                  &step, r.change});
        }
    }
    return out;
}

// Each recipe proven on its own copy of the target's schema; the reasons a
// recipe is refused, by recipe (empty: proven).
std::vector<std::vector<std::string>> prove_recipes(
    const core::Target& target, const std::vector<std::vector<PlannedStep>>& planned,
    const planner::Project& project) {
    std::vector<std::vector<std::string>> problems(planned.size());
    core::log_info("proof: starting a throwaway PostgreSQL and copying the target's schema");
    sandbox::ThrowawayCluster cluster("sm-rewrite");
    for (size_t i = 0; i < planned.size(); ++i) {
        if (planned[i].empty()) {
            continue;
        }
        auto scripts = step_scripts(planned[i], project.config.migrations_dir, false);
        std::vector<executor::TraceInput> inputs;
        std::vector<planner::ProofStep> steps;
        for (size_t k = 0; k < scripts.size(); ++k) {
            inputs.push_back({planned[i][k].version, &scripts[k]});
            steps.push_back({planned[i][k].version, planned[i][k].id(), &scripts[k]});
        }
        problems[i] = prove_on_copy(cluster, target, "rewrite" + std::to_string(i), inputs, steps,
                                    project.config.execute.lock_timeout);
    }
    return problems;
}

std::vector<fs::path> write_steps(const std::vector<std::vector<PlannedStep>>& planned,
                                  const fs::path& dir, bool unproven) {
    std::vector<fs::path> written;
    for (const auto& recipe : planned) {
        for (const auto& p : recipe) {
            for (bool down : {false, true}) {
                if (down && p.step->down.empty()) {
                    continue;  // nothing can undo it: rollback refuses it for want of a down
                }
                fs::path path = dir / (p.id() + (down ? ".down.sql" : ".up.sql"));
                util::write_file_atomic(path,
                                        planner::step_file_text(*p.step, p.change, unproven, down));
                written.push_back(path);
            }
        }
    }
    return written;
}

std::string proof_line(const RewriteRequest& request, size_t recipes) {
    if (recipes == 0) {
        return "";
    }
    return request.target ? "proven on a copy of the target's schema: no step takes ACCESS "
                            "EXCLUSIVE while it rewrites or scans a table\n"
                          : "unproven (no database): the steps are marked "
                            "`-- safe-migrate: unproven`; plan and execute prove them on a copy "
                            "of the target's schema before applying anything\n";
}

// Each statement's recipe (or why it has none, or why its proof refused it)
// into report's text, and as JSON; counts the recipes that will be written.
json describe_rewrites(const std::vector<planner::Rewrite>& rewrites,
                       const std::vector<std::vector<PlannedStep>>& planned,
                       const std::vector<std::vector<std::string>>& problems, RewriteReport& report,
                       size_t& recipes) {
    json statements = json::array();
    for (size_t i = 0; i < rewrites.size(); ++i) {
        const auto& r = rewrites[i];
        if (r.steps.empty() && r.no_recipe.empty()) {
            continue;
        }
        json steps = json::array();
        report.text += "line " + std::to_string(r.line) + ": " + r.statement + "\n";
        if (!problems[i].empty()) {
            report.refused = true;
            report.text += "  refused: " + util::join(problems[i], "; ") + "\n";
        } else if (r.steps.empty()) {
            report.text += "  " + r.no_recipe + "\n";
        } else {
            ++recipes;
            report.text +=
                "  change " + r.change + ", " + std::to_string(r.steps.size()) + " migration(s):\n";
            if (!r.note.empty()) {
                report.text += "  why: " + r.note + "\n";
            }
            for (const auto& p : planned[i]) {
                report.text += rewrite_step_text(p);
                steps.push_back(rewrite_step_json(p));
            }
        }
        statements.push_back({{"line", r.line},
                              {"statement", r.statement},
                              {"change", r.change},
                              {"steps", steps},
                              {"no_recipe", r.no_recipe},
                              {"note", r.note},
                              {"refused", problems[i]}});
    }
    return statements;
}

}  // namespace

RewriteReport rewrite_file(const RewriteRequest& request) {
    const planner::Project& project = *request.project;
    if (!fs::is_regular_file(request.file)) {
        throw Error(ExitCode::invalid_input, "cannot read " + request.file.string());
    }
    core::Layout layout = project.config.layout.value_or(core::Layout::native);
    if (request.write && layout != core::Layout::native && layout != core::Layout::golang_migrate) {
        throw Error(ExitCode::invalid_input,
                    "rewrite --write writes <version>_<name>.up.sql and .down.sql files (the "
                    "native and golang-migrate layouts), and this project uses the " +
                        std::string(core::layout_name(*project.config.layout)) + " layout",
                    "Run safe-migrate rewrite without --write and copy the steps by hand.");
    }
    // 1. The recipes, with the target's facts when there is a target.
    std::unique_ptr<db::Session> session;
    planner::TargetFacts facts;
    if (request.target) {
        session = db::connect_as(request.target->conninfo, project.config.application_name, "");
        facts = target_facts(*session);
    }
    auto rewrites =
        planner::rewrite_sql(request.file.string(), util::read_file(request.file), facts);
    auto planned = plan_steps_of(rewrites, project.migrations, layout);

    // 2. The proof, recipe by recipe, on copies of the target's schema.
    RewriteReport report;
    std::vector<std::vector<std::string>> problems(planned.size());
    bool any_steps = std::any_of(planned.begin(), planned.end(),
                                 [](const auto& steps) { return !steps.empty(); });
    if (request.target && any_steps) {
        problems = prove_recipes(*request.target, planned, project);
    }
    // 3. The report, then the files.
    size_t recipes = 0;
    json statements = describe_rewrites(rewrites, planned, problems, report, recipes);
    if (statements.empty()) {
        report.text += "nothing to rewrite in " + request.file.string() + "\n";
    }
    report.text += proof_line(request, recipes);
    std::vector<fs::path> written;
    if (request.write && !report.refused && recipes > 0) {
        written = write_steps(planned, project.config.migrations_dir, !request.target);
        report.text += "wrote " + std::to_string(written.size()) + " file(s) to " +
                       project.config.migrations_dir.lexically_normal().string() + "; " +
                       request.file.string() +
                       " is left untouched: delete it, the new migrations replace it\n";
    } else if (request.write && report.refused) {
        report.text += "nothing was written\n";
    }
    json doc = {{"result", report.refused ? "refused" : "ok"},
                {"file", request.file.string()},
                {"proven", request.target.has_value() && !report.refused},
                {"statements", statements},
                {"written", json::array()}};
    for (const auto& w : written) {
        doc["written"].push_back(w.string());
    }
    report.json = doc.dump(2);
    return report;
}

void prove_unproven(const planner::Project& project, const core::Target& target,
                    const std::vector<const core::Migration*>& pending) {
    std::vector<executor::TraceInput> inputs;
    std::vector<planner::ProofStep> steps;
    size_t through = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
        if (pending[i]->up.directives.unproven) {
            through = i + 1;
        }
    }
    for (size_t i = 0; i < through; ++i) {
        const core::Migration* m = pending[i];
        const core::Script* script = &project.up.at(m->version);
        inputs.push_back({m->version, script});
        if (m->up.directives.unproven) {
            steps.push_back({m->version, m->id(), script});
        }
    }
    if (steps.empty()) {
        return;
    }
    core::log_info("proof: starting a throwaway PostgreSQL and copying the target's schema");
    std::vector<std::string> problems;
    {
        sandbox::ThrowawayCluster cluster("sm-rewrite");
        problems = prove_on_copy(cluster, target, "proof", inputs, steps,
                                 project.config.execute.lock_timeout);
    }
    if (!problems.empty()) {
        throw Error(ExitCode::policy,
                    "unproven migration is not safe: " + util::join(problems, "; ") +
                        "; nothing was applied",
                    "Fix or replace the step, then run safe-migrate plan again.");
    }
    core::log_info("proof: " + std::to_string(steps.size()) +
                   " unproven migration(s) proven on a copy of the target's schema");
}

}  // namespace sm::deploy
