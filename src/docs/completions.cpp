// Completion scripts for bash, zsh and fish, from the command table.
#include <string>

#include "docs/tool_doc.hpp"

namespace sm::docs {
namespace {

std::string joined(const std::vector<std::string>& words, const std::string& sep = " ") {
    std::string out;
    for (const auto& w : words) {
        out += (out.empty() ? "" : sep) + w;
    }
    return out;
}

// Every name of the options that are not positional.
std::vector<std::string> option_names(const std::vector<OptionDoc>& options) {
    std::vector<std::string> names;
    for (const auto& o : options) {
        if (!o.positional) {
            names.insert(names.end(), o.names.begin(), o.names.end());
        }
    }
    return names;
}

// The fixed values of a command's positionals ("create list verify").
std::vector<std::string> positional_choices(const CommandDoc& c) {
    std::vector<std::string> words;
    for (const auto& o : c.options) {
        if (o.positional) {
            words.insert(words.end(), o.choices.begin(), o.choices.end());
        }
    }
    return words;
}

// In single quotes for a shell: ' becomes '\''.
std::string single_quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// bash: after an option that takes a value, its choices, else nothing (then
// `complete -o default` offers file names).
std::string bash_value_cases(const std::vector<OptionDoc>& options, const std::string& indent) {
    std::string out;
    for (const auto& o : options) {
        if (o.positional || o.value.empty()) {
            continue;
        }
        out += indent + joined(o.names, "|") + ") COMPREPLY=(";
        if (!o.choices.empty()) {
            out += "$(compgen -W " + single_quoted(joined(o.choices)) + " -- \"$cur\")";
        }
        out += "); return ;;\n";
    }
    return out;
}

// zsh _arguments specs: '--format[Output format]:value:(text json)'.
std::string zsh_specs(const std::vector<OptionDoc>& options, const std::string& indent) {
    std::string out;
    for (const auto& o : options) {
        if (o.positional) {
            std::string action = o.choices.empty() ? "_files" : "(" + joined(o.choices) + ")";
            out.append(indent).append(single_quoted("*:" + o.names.front() + ":" + action));
            out += " \\\n";
            continue;
        }
        std::string help;
        for (char c : o.description.substr(0, o.description.find('.'))) {
            help += c == '[' ? '(' : c == ']' ? ')' : c;
        }
        std::string value;
        if (!o.value.empty()) {
            value = ":value:" + (o.choices.empty() ? "_files" : "(" + joined(o.choices) + ")");
        }
        for (const auto& name : o.names) {
            std::string spec = name;
            spec.append("[").append(help).append("]").append(value);
            out.append(indent).append(single_quoted(spec)).append(" \\\n");
        }
    }
    return out;
}

std::string fish_option(const std::string& condition, const OptionDoc& o) {
    std::string line = "complete -c safe-migrate";
    if (!condition.empty()) {
        line += " -n " + single_quoted(condition);
    }
    for (const auto& name : o.names) {
        line += name.rfind("--", 0) == 0 ? " -l " + name.substr(2) : " -s " + name.substr(1);
    }
    if (!o.value.empty()) {
        line += o.choices.empty() ? " -r -F" : " -x -a " + single_quoted(joined(o.choices));
    }
    return line + " -d " + single_quoted(o.description.substr(0, o.description.find('.'))) + "\n";
}

}  // namespace

std::string bash_completion(const ToolDoc& tool) {
    std::vector<std::string> commands;
    for (const auto& c : tool.commands) {
        commands.push_back(c.name);
    }
    std::vector<std::string> global = option_names(tool.global);
    std::string out =
        "# bash completion for safe-migrate, generated from its command table: do not edit.\n"
        "_safe_migrate() {\n"
        "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
        "    local cmd=\"\" i opts words\n"
        "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "        case \"${COMP_WORDS[i]}\" in\n";
    for (const auto& o : tool.global) {
        if (!o.value.empty()) {
            out += "            " + joined(o.names, "|") + ") ((i++)) ;;\n";
        }
    }
    out +=
        "            -*) ;;\n"
        "            *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n"
        "        esac\n"
        "    done\n"
        "    case \"$prev\" in\n" +
        bash_value_cases(tool.global, "        ") +
        "    esac\n"
        "    case \"$cmd\" in\n"
        "        \"\") opts=" +
        single_quoted(joined(global) + " --help --version") +
        "; words=" + single_quoted(joined(commands)) + " ;;\n";
    for (const auto& c : tool.commands) {
        out += "        " + c.name + ")\n            case \"$prev\" in\n" +
               bash_value_cases(c.options, "                ") +
               "            esac\n            opts=" +
               single_quoted(joined(option_names(c.options)) + " " + joined(global) + " --help") +
               "; words=" + single_quoted(joined(positional_choices(c))) + " ;;\n";
    }
    out +=
        "    esac\n"
        "    if [[ \"$cur\" == -* ]]; then\n"
        "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
        "    else\n"
        "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
        "    fi\n"
        "}\n"
        "complete -o default -F _safe_migrate safe-migrate\n";
    return out;
}

std::string zsh_completion(const ToolDoc& tool) {
    std::string out =
        "#compdef safe-migrate\n"
        "# zsh completion for safe-migrate, generated from its command table: do not edit.\n"
        "_safe-migrate() {\n"
        "    local curcontext=\"$curcontext\" state line\n"
        "    local -a commands\n"
        "    commands=(\n";
    for (const auto& c : tool.commands) {
        out += "        " + single_quoted(c.name + ":" + c.summary) + "\n";
    }
    out += "    )\n    _arguments -C \\\n" + zsh_specs(tool.global, "        ") +
           "        '(- *)--help[Show help]' '(- *)--version[Show the version]' \\\n"
           "        '1: :->command' '*:: :->args'\n"
           "    case $state in\n"
           "        command) _describe 'command' commands ;;\n"
           "        args)\n"
           "            case $words[1] in\n";
    for (const auto& c : tool.commands) {
        out += "                " + c.name + ") _arguments \\\n" +
               zsh_specs(c.options, "                    ") +
               "                    '--help[Show help]' ;;\n";
    }
    out +=
        "            esac ;;\n"
        "    esac\n"
        "}\n"
        "_safe-migrate \"$@\"\n";
    return out;
}

std::string fish_completion(const ToolDoc& tool) {
    std::string out =
        "# fish completion for safe-migrate, generated from its command table: do not edit.\n"
        "complete -c safe-migrate -f\n";
    std::vector<std::string> names;
    for (const auto& c : tool.commands) {
        names.push_back(c.name);
    }
    for (const auto& o : tool.global) {
        out += fish_option("", o);
    }
    for (const auto& c : tool.commands) {
        out += "complete -c safe-migrate -n '__fish_use_subcommand' -a " + c.name + " -d " +
               single_quoted(c.summary) + "\n";
        std::string when = "__fish_seen_subcommand_from " + c.name;
        for (const auto& o : c.options) {
            if (o.positional) {
                if (!o.choices.empty()) {
                    out += "complete -c safe-migrate -n " + single_quoted(when) + " -a " +
                           single_quoted(joined(o.choices)) + "\n";
                } else {
                    out += "complete -c safe-migrate -n " + single_quoted(when) + " -F\n";
                }
                continue;
            }
            out += fish_option(when, o);
        }
    }
    return out;
}

}  // namespace sm::docs
