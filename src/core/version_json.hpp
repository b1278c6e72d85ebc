#pragma once
// core::Version in nlohmann-json documents, for the modules that link it: an
// integer version is a JSON number (as every version was before versions could
// be dotted), a dotted one a string ("1.2.10"). Reading accepts either.

#include <nlohmann/json.hpp>

#include "core/version.hpp"
#include "util/error.hpp"

namespace sm::core {

template <typename Json>
void to_json(Json& j, const Version& v) {
    if (auto n = v.integer()) {
        j = *n;
    } else {
        j = v.text();
    }
}

// Throws sm::Error (invalid_input) for anything but an integer or a version text.
template <typename Json>
void from_json(const Json& j, Version& v) {
    if (j.is_number_integer()) {
        v = Version(j.template get<int64_t>());
        return;
    }
    if (j.is_string()) {
        if (auto parsed = Version::parse(j.template get<std::string>())) {
            v = *parsed;
            return;
        }
    }
    throw Error(ExitCode::invalid_input, "not a migration version: " + j.dump());
}

}  // namespace sm::core
