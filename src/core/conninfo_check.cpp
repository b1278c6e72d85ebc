#include "core/conninfo_check.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "util/redact.hpp"
#include "util/strings.hpp"

namespace sm::core {
namespace {

const std::set<std::string>& known_keys() {
    static const std::set<std::string> keys = [] {
        std::set<std::string> out = {"ssl"};  // the URL form's alias for sslmode=require
        PQconninfoOption* defaults = PQconndefaults();
        for (PQconninfoOption* o = defaults; o != nullptr && o->keyword != nullptr; ++o) {
            out.insert(o->keyword);
        }
        PQconninfoFree(defaults);
        return out;
    }();
    return keys;
}

bool is_url(const std::string& s) {
    return util::starts_with(s, "postgresql://") || util::starts_with(s, "postgres://");
}

bool valid_percent_escapes(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' &&
            (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
             !std::isxdigit(static_cast<unsigned char>(text[i + 2])))) {
            return false;
        }
    }
    return true;
}

// Every comma-separated port is empty (the default) or a number from 1 to 65535.
bool valid_ports(std::string_view ports) {
    for (const auto& port : util::split(std::string(ports), ',')) {
        if (port.empty()) {
            continue;
        }
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c)) != 0;
            })) {
            return false;
        }
        int n = std::stoi(port);
        if (n < 1 || n > 65535) {
            return false;
        }
    }
    return true;
}

const char* const k_port_problem = "the port is not a number from 1 to 65535";

std::optional<std::string> query_problem(std::string_view query) {
    int n = 0;
    for (const auto& param : util::split(std::string(query), '&')) {
        ++n;
        std::string which = "query parameter " + std::to_string(n);
        size_t eq = param.find('=');
        if (eq == std::string::npos) {
            return which + " has no '='";
        }
        std::string key = param.substr(0, eq);
        if (known_keys().count(key) == 0) {
            return which + " is not a libpq connection setting";
        }
        if (!valid_percent_escapes(param)) {
            return "the value of " + key + " holds an invalid percent-escape";
        }
        if (key == "port" && !valid_ports(param.substr(eq + 1))) {
            return std::string(k_port_problem);
        }
    }
    return std::nullopt;
}

// Walks a URL as libpq does: user info up to the first '@' before any '/',
// then hosts and ports, the database name, the query.
std::optional<std::string> url_problem(const std::string& url) {
    std::string_view rest(url);
    rest.remove_prefix(rest.find("://") + 3);
    size_t stop = rest.find_first_of("@/");
    if (stop != std::string_view::npos && rest[stop] == '@') {
        std::string_view userinfo = rest.substr(0, stop);
        size_t colon = userinfo.find(':');
        if (!valid_percent_escapes(userinfo.substr(0, colon))) {
            return "the user name holds an invalid percent-escape";
        }
        if (colon != std::string_view::npos && !valid_percent_escapes(userinfo.substr(colon + 1))) {
            return "the password holds an invalid percent-escape";
        }
        rest.remove_prefix(stop + 1);
    }
    size_t host_end = rest.find_first_of("/?");
    std::string_view hosts = rest.substr(0, host_end);
    if (hosts.find('@') != std::string_view::npos) {
        return "the host holds '@': write an '@' in the user name or password as %40";
    }
    std::string_view dbname;
    std::string_view query;
    if (host_end != std::string_view::npos) {
        std::string_view tail = rest.substr(host_end);
        size_t q = tail.find('?');
        dbname = tail.substr(0, q);
        query = q == std::string_view::npos ? std::string_view() : tail.substr(q + 1);
    }
    if (dbname.find('@') != std::string_view::npos) {
        return "the database name holds '@': write a '/' in the user name or password as %2F";
    }
    for (const auto& host : util::split(std::string(hosts), ',')) {
        std::string_view h(host);
        if (!h.empty() && h.front() == '[') {
            size_t close = h.find(']');
            if (close == std::string_view::npos) {
                return "an IPv6 host has no closing ']'";
            }
            h.remove_prefix(close + 1);
        }
        if (!valid_percent_escapes(h)) {
            return "the host holds an invalid percent-escape";
        }
        if (size_t colon = h.find(':');
            colon != std::string_view::npos && !valid_ports(h.substr(colon + 1))) {
            return std::string(k_port_problem);
        }
    }
    if (!valid_percent_escapes(dbname)) {
        return "the database name holds an invalid percent-escape";
    }
    return query.empty() ? std::nullopt : query_problem(query);
}

bool space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Walks key=value settings as libpq does: a key, '=', then a bare value (a
// backslash escapes the next character) or one in single quotes.
std::optional<std::string> keyword_problem(const std::string& s) {
    size_t i = 0;
    int n = 0;
    std::string previous;
    while (true) {
        while (i < s.size() && space(s[i])) {
            ++i;
        }
        if (i >= s.size()) {
            return std::nullopt;
        }
        ++n;
        std::string which = "setting " + std::to_string(n);
        size_t key_start = i;
        while (i < s.size() && s[i] != '=' && !space(s[i])) {
            ++i;
        }
        std::string key = s.substr(key_start, i - key_start);
        while (i < s.size() && space(s[i])) {
            ++i;
        }
        if (i >= s.size() || s[i] != '=') {
            std::string why = which;
            if (!previous.empty()) {
                why += ", after ";
                why += previous;
            }
            return why + ", has no '=' (a value that holds spaces needs single quotes: 'a b')";
        }
        bool known = known_keys().count(key) != 0;
        if (!known) {
            return which + " is not a libpq connection setting";
        }
        ++i;
        while (i < s.size() && space(s[i])) {
            ++i;
        }
        std::string value;
        if (i < s.size() && s[i] == '\'') {
            for (++i; i < s.size() && s[i] != '\''; ++i) {
                i += s[i] == '\\' && i + 1 < s.size() ? 1 : 0;
                value += s[i];
            }
            if (i >= s.size()) {
                return "the quoted value of " + key + " has no closing quote";
            }
            ++i;
        } else {
            for (; i < s.size() && !space(s[i]); ++i) {
                i += s[i] == '\\' && i + 1 < s.size() ? 1 : 0;
                value += s[i];
            }
        }
        if (key == "port" && !valid_ports(value)) {
            return std::string(k_port_problem);
        }
        previous = key;
    }
}

void register_with_pieces(const std::string& text) {
    util::register_secret(text);
    std::string piece;
    for (char c : text + " ") {
        if (space(c) || std::string_view("/@:?&='\"\\,").find(c) != std::string_view::npos) {
            if (known_keys().count(piece) == 0) {  // a key name is no secret
                util::register_secret(piece);
            }
            piece.clear();
        } else {
            piece += c;
        }
    }
}

}  // namespace

std::optional<std::string> conninfo_problem(const std::string& conninfo) {
    return is_url(conninfo) ? url_problem(conninfo) : keyword_problem(conninfo);
}

void register_malformed_secrets(const std::string& conninfo) {
    if (is_url(conninfo)) {
        size_t start = conninfo.find("://") + 3;
        size_t at = conninfo.rfind('@');
        size_t colon = conninfo.find(':', start);
        if (at != std::string::npos && at > start && colon < at) {
            register_with_pieces(conninfo.substr(colon + 1, at - colon - 1));
        }
        return;
    }
    // key=value: everything after "password", to the end (the value may run on).
    for (size_t pos = conninfo.find("password"); pos != std::string::npos;
         pos = conninfo.find("password", pos + 1)) {
        size_t eq = conninfo.find('=', pos);
        if (eq != std::string::npos) {
            register_with_pieces(std::string(util::trim(conninfo.substr(eq + 1))));
        }
    }
}

}  // namespace sm::core
