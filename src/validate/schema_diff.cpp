#include "validate/schema_diff.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace sm::validate {
namespace {

std::string attribute_or_empty(const SchemaObject& o, const std::string& name) {
    auto it = o.attributes.find(name);
    return it == o.attributes.end() ? std::string() : it->second;
}

std::string shown(const std::string& value) {
    return value.empty() ? "(none)" : value;
}

// Long or multi-line text (view and function bodies) are not worth
// repeating in a one-line message; the detail has them.
bool too_long_for_a_line(const std::string& a, const std::string& b) {
    auto long_text = [](const std::string& s) {
        return s.size() > 100 || s.find('\n') != std::string::npos;
    };
    return long_text(a) || long_text(b);
}

std::string changed_message(const std::string& key, const std::string& attribute,
                            const std::string& expected, const std::string& actual) {
    if (attribute == "valid" && actual == "no") {
        return key + (key.rfind("index ", 0) == 0 ? " is INVALID" : " is NOT VALID");
    }
    if (too_long_for_a_line(expected, actual)) {
        return key + ": " + attribute + " differs";
    }
    return key + ": " + attribute + " is " + shown(actual) + " in the database, " +
           shown(expected) + " in the migrations";
}

void compare_attributes(const SchemaObject& e, const SchemaObject& a,
                        std::vector<Difference>& out) {
    std::set<std::string> names;
    for (const auto& [name, value] : e.attributes) {
        names.insert(name);
    }
    for (const auto& [name, value] : a.attributes) {
        names.insert(name);
    }
    for (const auto& name : names) {
        std::string want = attribute_or_empty(e, name);
        std::string have = attribute_or_empty(a, name);
        if (want != have) {
            out.push_back({DiffKind::changed, e.key(), name, want, have,
                           changed_message(e.key(), name, want, have)});
        }
    }
}

}  // namespace

const char* diff_kind_name(DiffKind kind) {
    switch (kind) {
        case DiffKind::missing:
            return "missing";
        case DiffKind::extra:
            return "extra";
        case DiffKind::changed:
            return "changed";
    }
    return "changed";
}

std::vector<Difference> diff_schemas(const SchemaModel& expected, const SchemaModel& actual) {
    std::vector<Difference> out;
    std::set<std::string> gone;  // keys reported missing or extra
    for (const auto& [key, e] : expected.objects) {
        const SchemaObject* a = actual.find(key);
        if (a == nullptr) {
            out.push_back({DiffKind::missing, key, "", "", "", key + " is missing"});
            gone.insert(key);
        } else {
            compare_attributes(e, *a, out);
        }
    }
    for (const auto& [key, a] : actual.objects) {
        if (expected.find(key) == nullptr) {
            std::string message = key + " exists in the database but in no migration";
            if (a.kind == "index" && attribute_or_empty(a, "valid") == "no") {
                message += " (INVALID)";
            }
            out.push_back({DiffKind::extra, key, "", "", "", message});
            gone.insert(key);
        }
    }
    // A missing or extra parent already says everything about its children.
    auto parent_gone = [&](const Difference& d) {
        const SchemaObject* o =
            d.kind == DiffKind::extra ? actual.find(d.object) : expected.find(d.object);
        return o != nullptr && !o->parent.empty() && gone.count(o->parent) != 0;
    };
    out.erase(std::remove_if(out.begin(), out.end(), parent_gone), out.end());
    std::stable_sort(out.begin(), out.end(), [](const Difference& x, const Difference& y) {
        return std::tie(x.object, x.attribute) < std::tie(y.object, y.attribute);
    });
    return out;
}

std::string difference_detail(const Difference& d) {
    if (d.kind != DiffKind::changed) {
        return "";
    }
    return d.attribute + " in the migrations: " + shown(d.expected) + "\n" + d.attribute +
           " in the database:   " + shown(d.actual);
}

}  // namespace sm::validate
