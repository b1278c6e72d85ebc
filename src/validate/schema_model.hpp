#pragma once
// A database schema as plain, normalised data, for comparing what the
// migrations produce with what a database holds.
//
// Each object has a kind ("table", "column", "index", ...) and a qualified
// name ("public.users", "public.users.nickname"); its key is "kind name"
// ("column public.users.nickname"). Attributes are text, as PostgreSQL prints
// them with search_path set to pg_catalog (so every user object is
// schema-qualified): no OIDs, no ordering, no owners, nothing that differs
// between two databases built by the same migrations.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/version.hpp"

namespace sm::validate {

struct SchemaObject {
    std::string kind;  // schema, extension, table, column, constraint, index, trigger,
                       // function, view, materialized view, sequence, type
    std::string name;  // qualified: "public.users", "public.users.email", "pgcrypto"
    // The key of the object this one belongs to ("table public.users" for its
    // columns, constraints, indexes and triggers), or empty.
    std::string parent;
    std::map<std::string, std::string> attributes;  // e.g. type, default, nullable

    std::string key() const { return kind + " " + name; }
};

struct SchemaModel {
    std::map<std::string, SchemaObject> objects;  // by key(), so iteration is sorted
    // Snapshot provenance: the newest migration the model was built from, and
    // every applied version (empty when read from a live database).
    std::optional<core::Version> head;
    std::vector<core::Version> versions;

    // Adds or replaces object.
    void add(SchemaObject object);
    const SchemaObject* find(const std::string& key) const;
};

// The snapshot file format, stable across runs: objects sorted by key,
// attributes sorted by name, two-space indentation, a final newline.
std::string model_to_json(const SchemaModel& model);

// Parses what model_to_json wrote. Throws sm::Error (invalid_input) naming
// what is wrong when text is not a schema snapshot; source names the file in
// the message.
SchemaModel model_from_json(const std::string& text, const std::string& source);

}  // namespace sm::validate
