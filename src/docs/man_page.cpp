// The man page, in the man(7) macros, from the command table.
#include <string>

#include "docs/tool_doc.hpp"

namespace sm::docs {
namespace {

// roff: a backslash is \e, a hyphen in an option is \-, and a line may not
// start with a dot or an apostrophe.
std::string roff(std::string_view text) {
    std::string out;
    bool line_start = true;
    for (char c : text) {
        if (line_start && (c == '.' || c == '\'')) {
            out += "\\&";
        }
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
        line_start = c == '\n';
    }
    return out;
}

std::string option_head(const OptionDoc& o) {
    std::string head;
    for (const auto& name : o.names) {
        head += (head.empty() ? "" : ", ") + std::string("\\fB") + roff(name) + "\\fR";
    }
    if (!o.value.empty() && !o.positional) {
        head += " \\fI" + roff(o.value) + "\\fR";
    }
    return head;
}

void options_section(const std::vector<OptionDoc>& options, std::string& out) {
    for (const auto& o : options) {
        out += ".TP\n" + option_head(o) + "\n" + roff(o.description);
        if (!o.choices.empty()) {
            std::string list;
            for (const auto& c : o.choices) {
                list += (list.empty() ? "" : ", ") + c;
            }
            out += " (" + roff(list) + ")";
        }
        out += "\n";
    }
}

void command_section(const CommandDoc& c, std::string& out) {
    out += ".SS \"" + roff(c.name) + "\"\n" + roff(c.summary) + "\n.RS\n";
    options_section(c.options, out);
    if (!c.examples.empty()) {
        out += ".PP\nExamples:\n.RS\n.nf\n";
        for (const auto& e : c.examples) {
            out += roff(e) + "\n";
        }
        out += ".fi\n.RE\n";
    }
    out += ".RE\n";
}

}  // namespace

std::string man_page(const ToolDoc& tool) {
    std::string out = ".TH " + roff(tool.name) + " 1 \"\" \"" + roff(tool.name) + " " +
                      roff(tool.version) + "\" \"User Commands\"\n";
    out += ".SH NAME\n" + roff(tool.name) + " \\- " + roff(tool.summary) + "\n";
    out += ".SH SYNOPSIS\n.B " + roff(tool.name) +
           "\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR "
           "[\\fIARGS\\fR]\n";
    out += ".SH DESCRIPTION\n" + roff(tool.summary) + ". Each command has \\fB\\-\\-help\\fR.\n";
    out += ".SH OPTIONS\n";
    options_section(tool.global, out);
    out += ".SH COMMANDS\n";
    for (const auto& c : tool.commands) {
        command_section(c, out);
    }
    out += ".SH EXIT STATUS\n" + roff(tool.footer) + "\n";
    out +=
        ".SH ENVIRONMENT\n.TP\n.B DATABASE_URL\nThe target database, unless "
        "\\fB\\-\\-database\\-url\\fR or the config names one.\n.TP\n"
        ".B SAFE_MIGRATE_POLICIES\nThe directory of the shipped policies (default.toml, "
        "strict.toml) instead of the installed one.\n";
    out +=
        ".SH FILES\n.TP\n.I safe\\-migrate.toml\nThe project's configuration, in the "
        "current directory.\n.TP\n.I ../share/safe\\-migrate/\nBeside the binary: the "
        "shipped policies and the runbooks.\n";
    return out;
}

}  // namespace sm::docs
