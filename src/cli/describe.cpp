// The command line as data (docs::ToolDoc), read from the CLI11 declaration
// itself, so the man page and the completions say what --help says.
#include <CLI/CLI.hpp>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "core/identity.hpp"
#include "util/strings.hpp"

namespace sm::cli {
namespace {

// The values a validator accepts, from its description: the first "{a,b,c}"
// (CLI::IsMember), or "value in {json->1,text->0} OR {1,0}" (CheckedTransformer).
std::vector<std::string> choices_of(CLI::Option* o) {
    std::vector<std::string> out;
    for (int i = 0; out.empty(); ++i) {
        CLI::Validator* v = nullptr;
        try {
            v = o->get_validator(i);
        } catch (const CLI::OptionNotFound&) {
            break;
        }
        std::string d = v->get_description();
        size_t open = d.find('{');
        size_t close = d.find('}', open);
        if (open == std::string::npos || close == std::string::npos) {
            continue;
        }
        for (const auto& word : util::split(d.substr(open + 1, close - open - 1), ',')) {
            out.emplace_back(word.substr(0, word.find("->")));
        }
    }
    return out;
}

std::vector<docs::OptionDoc> options_of(const CLI::App& app) {
    std::vector<docs::OptionDoc> out;
    for (const CLI::Option* c : app.get_options()) {
        auto* o = const_cast<CLI::Option*>(c);  // get_validator has no const overload
        if (o->get_name() == "--help" || o->get_name() == "--version") {
            continue;
        }
        docs::OptionDoc d;
        d.positional = o->nonpositional() ? false : true;
        if (d.positional) {
            d.names = {o->get_name()};
        } else {
            for (const auto& s : o->get_snames()) {
                d.names.push_back("-" + s);
            }
            for (const auto& l : o->get_lnames()) {
                d.names.push_back("--" + l);
            }
        }
        std::string type = o->get_type_name();
        d.value = o->get_type_size() == 0 ? "" : type.substr(0, type.find(':'));
        d.choices = choices_of(o);
        d.description = o->get_description();
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace

docs::ToolDoc describe_tool() {
    CLI::App app;
    GlobalOptions g;
    const Command* chosen = nullptr;
    declare_app(app, g, chosen);
    docs::ToolDoc tool;
    tool.name = app.get_name();
    // "safe-migrate: production-safe ..." reads "production-safe ..." after the name.
    tool.summary = app.get_description().substr(tool.name.size() + 2);
    tool.version = core::tool_version();
    tool.footer = app.get_footer();
    tool.global = options_of(app);
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        docs::CommandDoc c{sub->get_name(), sub->get_description(), options_of(*sub),
                           docs::examples_of(sub->get_name())};
        tool.commands.push_back(std::move(c));
    }
    return tool;
}

}  // namespace sm::cli
