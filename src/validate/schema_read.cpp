#include "validate/schema_read.hpp"

#include <functional>

#include "db/transaction.hpp"

namespace sm::validate {
namespace {

// Schemas that are PostgreSQL's own or safe-migrate's; nsp is the
// pg_namespace alias of the query.
std::string user_schema(const std::string& nsp) {
    return nsp + ".nspname NOT IN ('pg_catalog', 'information_schema', 'safe_migrate') AND " + nsp +
           ".nspname !~ '^pg_(toast|temp_|toast_temp_)'";
}

// The object (catalog, oid column) is not a member of an extension: the
// extension stands for it.
std::string not_in_extension(const std::string& catalog, const std::string& oid) {
    return "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '" + catalog +
           "'::regclass AND d.objid = " + oid + " AND d.deptype = 'e')";
}

std::string text(const db::Value& v) {
    return v.value_or("");
}

std::string yes_no(const db::Value& v) {
    return v && *v == "t" ? "yes" : "no";
}

// Sets attribute name unless the value is empty: an absent attribute and an
// empty one mean the same, so both sides of a comparison agree.
void set(SchemaObject& o, const std::string& name, const std::string& value) {
    if (!value.empty()) {
        o.attributes[name] = value;
    }
}

void each_row(db::Session& session, const std::string& sql,
              const std::function<void(const db::Row&)>& fn) {
    for (const auto& row : session.exec(sql).rows) {
        fn(row);
    }
}

std::string table_key(const std::string& schema, const std::string& table, char relkind) {
    const char* kind = relkind == 'm' ? "materialized view " : "table ";
    return kind + schema + "." + table;
}

void read_schemas(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname FROM pg_namespace n WHERE " + user_schema("n") + " AND " +
                 not_in_extension("pg_namespace", "n.oid"),
             [&](const db::Row& r) {
                 m.add({"schema", text(r[0]), "", {}});
             });
    each_row(s,
             "SELECT e.extname, e.extversion, n.nspname FROM pg_extension e "
             "JOIN pg_namespace n ON n.oid = e.extnamespace",
             [&](const db::Row& r) {
                 SchemaObject o{"extension", text(r[0]), "", {}};
                 set(o, "version", text(r[1]));
                 set(o, "schema", text(r[2]));
                 m.add(std::move(o));
             });
}

void read_tables(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, "
             "pg_get_partkeydef(c.oid), "
             "(SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON "
             "p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace "
             "WHERE i.inhrelid = c.oid AND c.relispartition), "
             "pg_get_expr(c.relpartbound, c.oid) "
             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind IN ('r', 'p', 'f') AND " +
                 user_schema("n") + " AND " + not_in_extension("pg_class", "c.oid"),
             [&](const db::Row& r) {
                 SchemaObject o{"table", text(r[0]) + "." + text(r[1]), "", {}};
                 std::string relkind = text(r[2]);
                 o.attributes["kind"] = relkind == "p"   ? "partitioned"
                                        : relkind == "f" ? "foreign"
                                                         : "ordinary";
                 o.attributes["persistence"] = text(r[3]) == "u" ? "unlogged" : "permanent";
                 o.attributes["row_security"] = yes_no(r[4]);
                 set(o, "partition_key", text(r[5]));
                 set(o, "partition_of", text(r[6]));
                 set(o, "partition_bound", text(r[7]));
                 m.add(std::move(o));
             });
}

void read_columns(db::Session& s, SchemaModel& m) {
    each_row(
        s,
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
        "pg_get_expr(ad.adbin, ad.adrelid), a.attnotnull, a.attidentity, a.attgenerated, "
        "CASE WHEN a.attcollation <> t.typcollation THEN co.collname END "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
        "LEFT JOIN pg_collation co ON co.oid = a.attcollation "
        "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND " +
            user_schema("n") + " AND " + not_in_extension("pg_class", "c.oid"),
        [&](const db::Row& r) {
            std::string table = text(r[0]) + "." + text(r[1]);
            SchemaObject o{"column", table + "." + text(r[2]), "table " + table, {}};
            o.attributes["type"] = text(r[3]);
            o.attributes["nullable"] = yes_no(r[5]) == "yes" ? "no" : "yes";
            std::string identity = text(r[6]);
            set(o, "identity", identity == "a" ? "always" : identity == "d" ? "by default" : "");
            // A generated column's expression lives in pg_attrdef like a default.
            set(o, text(r[7]) == "s" ? "generated" : "default", text(r[4]));
            set(o, "collation", text(r[8]));
            m.add(std::move(o));
        });
}

void read_constraints(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid), "
             "con.convalidated, c.relkind "
             "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
                 user_schema("n") + " AND " + not_in_extension("pg_class", "c.oid"),
             [&](const db::Row& r) {
                 std::string table = text(r[0]) + "." + text(r[1]);
                 SchemaObject o{"constraint",
                                table + "." + text(r[2]),
                                table_key(text(r[0]), text(r[1]), text(r[5])[0]),
                                {}};
                 // Validity is its own attribute, so it is reported as such.
                 std::string def = text(r[3]);
                 const std::string not_valid = " NOT VALID";
                 if (def.size() > not_valid.size() &&
                     def.compare(def.size() - not_valid.size(), not_valid.size(), not_valid) == 0) {
                     def.erase(def.size() - not_valid.size());
                 }
                 o.attributes["definition"] = def;
                 o.attributes["valid"] = yes_no(r[4]);
                 m.add(std::move(o));
             });
}

void read_indexes(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname, ic.relname, tn.nspname, t.relname, t.relkind, "
             "pg_get_indexdef(i.indexrelid), i.indisvalid "
             "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
             "JOIN pg_namespace n ON n.oid = ic.relnamespace "
             "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = "
             "t.relnamespace "
             "WHERE " +
                 user_schema("n") + " AND " + not_in_extension("pg_class", "t.oid") +
                 " AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = "
                 "i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', "
                 "'x'))",
             [&](const db::Row& r) {
                 SchemaObject o{"index",
                                text(r[0]) + "." + text(r[1]),
                                table_key(text(r[2]), text(r[3]), text(r[4])[0]),
                                {}};
                 o.attributes["definition"] = text(r[5]);
                 o.attributes["valid"] = yes_no(r[6]);
                 m.add(std::move(o));
             });
}

void read_triggers(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname, c.relname, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled, "
             "c.relkind "
             "FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid "
             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT tg.tgisinternal AND " +
                 user_schema("n") + " AND " + not_in_extension("pg_class", "c.oid"),
             [&](const db::Row& r) {
                 std::string table = text(r[0]) + "." + text(r[1]);
                 std::string kind = text(r[5]) == "v" ? "view " : "table ";
                 SchemaObject o{"trigger", table + "." + text(r[2]), kind + table, {}};
                 o.attributes["definition"] = text(r[3]);
                 std::string enabled = text(r[4]);
                 o.attributes["enabled"] = enabled == "D"   ? "disabled"
                                           : enabled == "R" ? "replica only"
                                           : enabled == "A" ? "always"
                                                            : "yes";
                 m.add(std::move(o));
             });
}

void read_functions(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind, "
             "pg_get_function_result(p.oid), "
             "CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END "
             "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE " +
                 user_schema("n") + " AND " + not_in_extension("pg_proc", "p.oid"),
             [&](const db::Row& r) {
                 std::string kind = text(r[3]);
                 SchemaObject o{kind == "p"   ? "procedure"
                                : kind == "a" ? "aggregate"
                                              : "function",
                                text(r[0]) + "." + text(r[1]) + "(" + text(r[2]) + ")",
                                "",
                                {}};
                 set(o, "returns", text(r[4]));
                 set(o, "definition", text(r[5]));
                 m.add(std::move(o));
             });
}

void read_views_and_sequences(db::Session& s, SchemaModel& m) {
    each_row(s,
             "SELECT n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid, true) "
             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind IN ('v', 'm') AND " +
                 user_schema("n") + " AND " + not_in_extension("pg_class", "c.oid"),
             [&](const db::Row& r) {
                 SchemaObject o{text(r[2]) == "m" ? "materialized view" : "view",
                                text(r[0]) + "." + text(r[1]),
                                "",
                                {}};
                 o.attributes["definition"] = text(r[3]);
                 m.add(std::move(o));
             });
    each_row(s,
             "SELECT n.nspname, c.relname, format_type(q.seqtypid, NULL), q.seqstart, "
             "q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle "
             "FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid "
             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
                 user_schema("n") + " AND " + not_in_extension("pg_class", "c.oid"),
             [&](const db::Row& r) {
                 SchemaObject o{"sequence", text(r[0]) + "." + text(r[1]), "", {}};
                 o.attributes["type"] = text(r[2]);
                 o.attributes["start"] = text(r[3]);
                 o.attributes["increment"] = text(r[4]);
                 o.attributes["min"] = text(r[5]);
                 o.attributes["max"] = text(r[6]);
                 o.attributes["cache"] = text(r[7]);
                 o.attributes["cycle"] = yes_no(r[8]);
                 m.add(std::move(o));
             });
}

void read_types(db::Session& s, SchemaModel& m) {
    each_row(
        s,
        "SELECT n.nspname, t.typname, t.typtype, "
        "(SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
        " FROM pg_enum e WHERE e.enumtypid = t.oid), "
        "CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END, "
        "t.typnotnull, t.typdefault, "
        "(SELECT string_agg(c.conname || ' ' || pg_get_constraintdef(c.oid), ', ' ORDER BY "
        " c.conname) FROM pg_constraint c WHERE c.contypid = t.oid), "
        "(SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' "
        " ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 "
        " AND NOT a.attisdropped) "
        "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "LEFT JOIN pg_class tc ON tc.oid = t.typrelid "
        "WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND tc.relkind = 'c')) AND " +
            user_schema("n") + " AND " + not_in_extension("pg_type", "t.oid"),
        [&](const db::Row& r) {
            SchemaObject o{"type", text(r[0]) + "." + text(r[1]), "", {}};
            std::string typtype = text(r[2]);
            o.attributes["kind"] = typtype == "e"   ? "enum"
                                   : typtype == "d" ? "domain"
                                                    : "composite";
            set(o, "labels", text(r[3]));
            set(o, "base_type", text(r[4]));
            if (typtype == "d") {
                o.attributes["nullable"] = yes_no(r[5]) == "yes" ? "no" : "yes";
            }
            set(o, "default", text(r[6]));
            set(o, "constraints", text(r[7]));
            set(o, "attributes", text(r[8]));
            m.add(std::move(o));
        });
}

}  // namespace

SchemaModel read_schema(db::Session& session) {
    SchemaModel model;
    db::in_transaction(
        session,
        [&] {
            session.exec("SET LOCAL search_path = pg_catalog");
            read_schemas(session, model);
            read_tables(session, model);
            read_columns(session, model);
            read_constraints(session, model);
            read_indexes(session, model);
            read_triggers(session, model);
            read_functions(session, model);
            read_views_and_sequences(session, model);
            read_types(session, model);
        },
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    return model;
}

std::vector<std::string> read_roles(db::Session& session) {
    std::vector<std::string> out;
    each_row(session, "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname",
             [&](const db::Row& r) { out.push_back(text(r[0])); });
    return out;
}

}  // namespace sm::validate
