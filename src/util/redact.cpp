#include "util/redact.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>
#include <vector>

namespace sm::util {
namespace {

std::mutex g_mutex;
std::vector<std::string> g_secrets;

std::string replace_all(std::string text, const std::string& needle, const std::string& with) {
    size_t pos = 0;
    while ((pos = text.find(needle, pos)) != std::string::npos) {
        text.replace(pos, needle.size(), with);
        pos += with.size();
    }
    return text;
}

}  // namespace

void register_secret(std::string_view secret) {
    if (secret.size() < 4) {
        return;
    }
    std::lock_guard lock(g_mutex);
    if (std::find(g_secrets.begin(), g_secrets.end(), secret) == g_secrets.end()) {
        g_secrets.emplace_back(secret);
        // Longest first, so a secret containing another is replaced whole.
        std::sort(g_secrets.begin(), g_secrets.end(),
                  [](const auto& a, const auto& b) { return a.size() > b.size(); });
    }
}

std::string redact_text(std::string_view text) {
    std::string out(text);
    {
        std::lock_guard lock(g_mutex);
        for (const auto& secret : g_secrets) {
            out = replace_all(std::move(out), secret, "***");
        }
    }
    // The patterns below need "://" or "password": most text has neither.
    auto has = [&out](std::string_view word) {
        return std::search(out.begin(), out.end(), word.begin(), word.end(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == b;
               }) != out.end();
    };
    // URL userinfo: scheme://user:password@host
    if (has("://")) {
        static const std::regex k_url_password(R"(((?:postgres|postgresql)://[^:/@\s]*):[^@\s]*@)",
                                               std::regex::icase);
        out = std::regex_replace(out, k_url_password, "$1:***@");
    }
    // key=value and URL query forms: password=secret
    if (has("password")) {
        static const std::regex k_kv_password(R"((password\s*=\s*)('[^']*'|[^\s&]+))",
                                              std::regex::icase);
        out = std::regex_replace(out, k_kv_password, "$1***");
    }
    return out;
}

}  // namespace sm::util
