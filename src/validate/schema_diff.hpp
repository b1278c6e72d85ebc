#pragma once
// Compares the schema the migrations produce (expected) with the schema a
// database holds (actual). Pure: no database, no I/O.

#include <string>
#include <vector>

#include "validate/schema_model.hpp"

namespace sm::validate {

enum class DiffKind {
    missing,  // expected, not in the database
    extra,    // in the database, in no migration
    changed,  // in both, an attribute differs
};

const char* diff_kind_name(DiffKind kind);

struct Difference {
    DiffKind kind = DiffKind::changed;
    std::string object;     // the key: "index public.orders_user_id_idx"
    std::string attribute;  // changed: the attribute that differs ("default"); else empty
    std::string expected;   // changed: the value the migrations give ("" when absent)
    std::string actual;     // changed: the value in the database ("" when absent)
    std::string message;    // one line: "index public.orders_user_id_idx is INVALID"
};

// Every difference, sorted by object then attribute. An object whose parent
// is itself missing or extra is not reported again (a dropped table's
// columns, indexes and triggers are part of "table ... is missing").
// Messages read:
//   "<key> is missing"
//   "<key> exists in the database but in no migration"   (+ " (INVALID)" for an invalid index)
//   "<key> is INVALID" / "<key> is NOT VALID"            (index / constraint validity)
//   "<key>: <attribute> is <actual> in the database, <expected> in the migrations"
//   "<key>: <attribute> differs" when a value is long or spans lines (see detail)
std::vector<Difference> diff_schemas(const SchemaModel& expected, const SchemaModel& actual);

// A multi-line account of a changed attribute (both values), or "" for
// missing and extra.
std::string difference_detail(const Difference& d);

}  // namespace sm::validate
