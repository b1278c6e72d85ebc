#include "support/tool.hpp"

#include <regex>

namespace sm::test {
namespace {

util::ProcessSpec spec_for(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env) {
    util::ProcessSpec spec;
    spec.program = SM_BINARY;
    spec.args = args;
    spec.env_unset = {"DATABASE_URL", "PGHOST",     "PGPORT",   "PGUSER",
                      "PGDATABASE",   "PGPASSWORD", "PGOPTIONS"};
    spec.env_set = env;
    return spec;
}

}  // namespace

ToolRun to_run(const util::ProcessResult& r) {
    return ToolRun{r.exit_code, r.signal, r.out, r.err};
}

ToolRun run_tool(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
    return to_run(util::run_process(spec_for(args, env)));
}

ToolRun run_tool_in(const std::filesystem::path& dir, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env) {
    util::ProcessSpec spec = spec_for(args, env);
    spec.cwd = dir;
    return to_run(util::run_process(spec));
}

std::unique_ptr<util::ChildProcess> start_tool(const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env) {
    return std::make_unique<util::ChildProcess>(spec_for(args, env));
}

std::vector<std::string> hinted_args(const std::string& hint) {
    std::smatch m;
    if (!std::regex_search(hint, m, std::regex(R"(safe-migrate ([^'`();]*?)\.?(['`();]|$))"))) {
        return {};
    }
    std::vector<std::string> words;
    std::string rest = m[1].str();
    for (size_t start = 0; start < rest.size();) {
        size_t end = std::min(rest.find(' ', start), rest.size());
        if (end > start) {
            words.push_back(rest.substr(start, end - start));
        }
        start = end + 1;
    }
    return words;
}

}  // namespace sm::test
