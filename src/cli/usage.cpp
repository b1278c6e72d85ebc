#include "cli/usage.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace sm::cli {
namespace {

std::string guess_hint(const std::string& guess, const std::string& otherwise) {
    return guess.empty() ? otherwise : "Did you mean '" + guess + "'?";
}

std::string help_hint(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* a = &command; a->get_parent() != nullptr; a = a->get_parent()) {
        names.insert(names.begin(), a->get_name());
    }
    names.insert(names.begin(), "safe-migrate");
    return "Run '" + util::join(names, " ") + " --help' for its options.";
}

// The option a word names in command or the commands above it (their options
// fall through), or null.
const CLI::Option* find_option(const CLI::App* command, const std::string& name) {
    for (; command != nullptr; command = command->get_parent()) {
        if (const CLI::Option* o = command->get_option_no_throw(name)) {
            return o;
        }
    }
    return nullptr;
}

// Every spelling of the options command accepts: "--database-url", "-v".
std::vector<std::string> option_names(const CLI::App* command) {
    std::vector<std::string> names;
    for (; command != nullptr; command = command->get_parent()) {
        for (const CLI::Option* o : command->get_options()) {
            for (const auto& l : o->get_lnames()) {
                names.push_back("--" + l);
            }
            for (const auto& s : o->get_snames()) {
                names.push_back("-" + s);
            }
        }
    }
    return names;
}

const CLI::App* find_subcommand(const CLI::App* command, const std::string& word) {
    auto subs = command->get_subcommands([&](const CLI::App* s) { return s->check_name(word); });
    return subs.empty() ? nullptr : subs.front();
}

std::vector<std::string> subcommand_names(const CLI::App* command) {
    std::vector<std::string> names;
    for (const CLI::App* s : command->get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(s->get_name());
    }
    return names;
}

struct Walk {
    std::optional<Usage> found;
    const CLI::App* command = nullptr;  // the innermost command named
};

// Reads argv as the parser does, stopping at the first word it cannot place.
Walk walk(const CLI::App& app, int argc, char** argv) {
    Walk w{std::nullopt, &app};
    std::map<const CLI::Option*, int> seen;
    for (int i = 1; i < argc && !w.found; ++i) {
        std::string word = argv[i];
        if (word == "--") {
            break;
        }
        if (word.size() > 1 && word[0] == '-') {
            // "--name=value"; "-qv" and "-x5" bundle after two characters
            std::string name = word[1] == '-' ? word.substr(0, word.find('=')) : word.substr(0, 2);
            const CLI::Option* o = find_option(w.command, name);
            if (o == nullptr) {
                std::string guess = util::closest(name, option_names(w.command));
                w.found = Usage{"unknown option '" + name + "'",
                                guess_hint(guess, help_hint(*w.command))};
            } else if (o->get_type_size_max() > 0) {
                i += name == word ? 1 : 0;  // the next word is its value
                if (o->get_expected_max() == 1 && ++seen[o] == 2) {
                    w.found = Usage{name + " is given more than once", "Give it once."};
                }
            }
            continue;
        }
        if (const CLI::App* sub = find_subcommand(w.command, word)) {
            w.command = sub;
        } else if (w.command == &app) {
            std::string guess = util::closest(word, subcommand_names(&app));
            w.found =
                Usage{"unknown command '" + word + "'",
                      guess_hint(guess, "Run 'safe-migrate --help' for the list of commands.")};
        }
    }
    return w;
}

// "The following argument was not expected: x y" -> "x y".
std::string after_colon(const std::string& text) {
    size_t colon = text.find(": ");
    return colon == std::string::npos ? text : text.substr(colon + 2);
}

}  // namespace

CLI::Validator one_of(std::string what, std::vector<std::string> choices) {
    std::string description = "{" + util::join(choices, ",") + "}";
    return {[what = std::move(what), choices = std::move(choices)](std::string& value) {
                if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
                    throw Error(
                        ExitCode::usage,
                        what + ": '" + value + "' is not one of " + util::join(choices, ", "),
                        guess_hint(util::closest(value, choices), ""));
                }
                return std::string();
            },
            description, "one of"};
}

Usage explain_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc,
                          char** argv) {
    Walk w = walk(app, argc, argv);
    if (w.found) {
        return *w.found;
    }
    std::string text = error.what();
    std::string hint = help_hint(*w.command);
    if (w.command == &app && dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
        return {"no command given", "Run 'safe-migrate --help' for the list of commands."};
    }
    if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
        return {w.command->get_name() + ": " + text, hint};  // "sandbox: action is required"
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
        return {"unexpected argument '" + after_colon(text) + "'", hint};
    }
    if (util::starts_with(text, "Could not convert: ")) {
        // "Could not convert: --steps = abc"
        std::string rest = after_colon(text);
        size_t eq = rest.find(" = ");
        if (eq != std::string::npos) {
            const CLI::Option* o = find_option(w.command, rest.substr(0, eq));
            bool number =
                o != nullptr && (o->get_type_name() == "INT" || o->get_type_name() == "UINT");
            return {rest.substr(0, eq) + ": '" + rest.substr(eq + 3) + "' is not " +
                        (number ? "a whole number" : "a valid value"),
                    hint};
        }
    }
    return {util::to_lower(text.substr(0, 1)) + text.substr(1), hint};
}

}  // namespace sm::cli
