#pragma once
// A migration's version: the text as the tool wrote it, ordered as Flyway
// orders versions (org.flywaydb.core.api.MigrationVersion), which also orders
// every other layout's integer versions numerically:
//
//   the text is one or more groups of digits separated by '.' or '_' ('_'
//   reads as '.': V1_2__ is version 1.2); groups compare numerically, one by
//   one, a missing group counting as 0, so 1.2.10 > 1.2.9 and 1.2 == 1.2.0.
//
// An integer version (one group of digits that fits int64) is shown as that
// number, leading zeros dropped, exactly as versions were shown when they were
// all integers; a dotted one is shown as written, '_' turned into '.'.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::core {

class Version {
  public:
    Version() : Version(int64_t{0}) {}
    // An integer version (implicit: integer versions read as before).
    Version(int64_t number);  // NOLINT(google-explicit-constructor)

    // The version text reads as, or std::nullopt when it is not digits
    // separated by '.' or '_' (empty groups, signs, letters).
    static std::optional<Version> parse(std::string_view text);

    // "12", "1.2.10".
    const std::string& text() const { return m_text; }

    // The number, for an integer version (no '.'); std::nullopt for a dotted one.
    std::optional<int64_t> integer() const;

    // The ordering key as a PostgreSQL numeric[] literal, "{1,2,10}": ordering
    // rows by it orders them as versions compare (history.version_key).
    std::string key_literal() const;

    friend std::strong_ordering operator<=>(const Version& a, const Version& b);
    friend bool operator==(const Version& a, const Version& b) {
        return (a <=> b) == std::strong_ordering::equal;
    }

  private:
    std::string m_text;
    std::vector<std::string> m_groups;  // digits without leading zeros; no trailing "0" groups
};

// The version a command-line flag gives; throws sm::Error (usage) naming the
// flag when text is not a version.
Version version_flag(std::string_view flag, std::string_view text);
// The same for a flag that may be absent, and for a repeated one.
std::optional<Version> optional_version_flag(std::string_view flag,
                                             const std::optional<std::string>& text);
std::vector<Version> version_flags(std::string_view flag, const std::vector<std::string>& texts);

// version.text(), for building messages.
std::string to_string(const Version& version);

}  // namespace sm::core
