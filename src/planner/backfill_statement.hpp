#pragma once
// The statement of a phase=backfill migration, read with PostgreSQL's parser
// and split where the backfill runner adds each batch's key range
// (core::BackfillStatement; executor/backfill.hpp runs it).

#include <optional>
#include <string>

#include "core/script.hpp"

namespace sm::planner {

// The statement, or the reason it cannot be run in batches.
struct BackfillParse {
    std::optional<core::BackfillStatement> statement;
    std::string problem;  // set when statement is not
};

// Reads sql, one statement: UPDATE table [alias] SET ... [FROM ...] [WHERE ...],
// DELETE FROM table [alias] [USING ...] [WHERE ...], or INSERT INTO ... SELECT ... FROM one table
// [alias] [WHERE ...] [ON CONFLICT ...]. Refused, with the reason: other statements, WITH,
// RETURNING, WHERE CURRENT OF, and a SELECT with joins, several tables, GROUP BY, HAVING, DISTINCT,
// ORDER BY, LIMIT, OFFSET, window clauses or set operations (its rows do not map to key ranges of
// one table). Pure.
BackfillParse parse_backfill_statement(const std::string& sql);

}  // namespace sm::planner
