#include "core/version.hpp"

#include <charconv>

#include "util/error.hpp"

namespace sm::core {
namespace {

std::string without_leading_zeros(std::string_view digits) {
    size_t first = digits.find_first_not_of('0');
    return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

}  // namespace

Version::Version(int64_t number) : m_text(std::to_string(number)), m_groups{m_text} {
    if (number < 0) {  // not a migration version; keep the order total anyway
        m_groups = {"0"};
    }
}

std::optional<Version> Version::parse(std::string_view text) {
    Version v;
    v.m_groups.clear();
    size_t start = 0;
    while (true) {
        size_t end = text.find_first_of("._", start);
        std::string_view group = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (group.empty() || group.find_first_not_of("0123456789") != std::string_view::npos) {
            return std::nullopt;
        }
        v.m_groups.push_back(without_leading_zeros(group));
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    while (v.m_groups.size() > 1 && v.m_groups.back() == "0") {
        v.m_groups.pop_back();
    }
    v.m_text = std::string(text);
    for (char& c : v.m_text) {
        c = c == '_' ? '.' : c;
    }
    if (v.m_text.find('.') == std::string::npos) {
        if (auto n = v.integer()) {
            v.m_text = std::to_string(*n);
        }
    }
    return v;
}

std::optional<int64_t> Version::integer() const {
    if (m_text.find('.') != std::string::npos) {
        return std::nullopt;
    }
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(m_text.data(), m_text.data() + m_text.size(), n);
    if (ec != std::errc() || ptr != m_text.data() + m_text.size()) {
        return std::nullopt;
    }
    return n;
}

std::string Version::key_literal() const {
    std::string out = "{";
    for (size_t i = 0; i < m_groups.size(); ++i) {
        out += (i == 0 ? "" : ",") + m_groups[i];
    }
    return out + "}";
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
    size_t n = std::max(a.m_groups.size(), b.m_groups.size());
    static const std::string k_zero = "0";
    for (size_t i = 0; i < n; ++i) {
        const std::string& x = i < a.m_groups.size() ? a.m_groups[i] : k_zero;
        const std::string& y = i < b.m_groups.size() ? b.m_groups[i] : k_zero;
        if (x.size() != y.size()) {
            return x.size() <=> y.size();
        }
        if (int c = x.compare(y); c != 0) {
            return c <=> 0;
        }
    }
    return std::strong_ordering::equal;
}

Version version_flag(std::string_view flag, std::string_view text) {
    if (auto v = Version::parse(text)) {
        return *v;
    }
    throw Error(ExitCode::usage, std::string(flag) + " " + std::string(text) +
                                     ": not a version (digits, or digits separated by '.' such "
                                     "as 1.2.10)");
}

std::optional<Version> optional_version_flag(std::string_view flag,
                                             const std::optional<std::string>& text) {
    if (!text) {
        return std::nullopt;
    }
    return version_flag(flag, std::string_view(*text));
}

std::vector<Version> version_flags(std::string_view flag, const std::vector<std::string>& texts) {
    std::vector<Version> out;
    out.reserve(texts.size());
    for (const auto& t : texts) {
        out.push_back(version_flag(flag, std::string_view(t)));
    }
    return out;
}

std::string to_string(const Version& version) {
    return version.text();
}

}  // namespace sm::core
