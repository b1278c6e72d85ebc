#pragma once
// One object created twice across the files of a lint or a plan: the second
// CREATE fails the run, or with IF NOT EXISTS it is silently skipped and the
// first definition stays (rule object-created-twice).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "planner/lint_types.hpp"
#include "planner/parse_tree.hpp"

namespace sm::planner {

struct FileReport;
struct Policy;

// A relation a statement creates: a table, a materialized view, a view or a
// named index ("public.orders"; tables and indexes share one namespace).
struct CreatedObject {
    std::string name;
    std::string what;   // "table", "index", ...
    std::string table;  // an index's table: dropping the table drops the index
    int line = 0;
    int column = 0;
    bool if_not_exists = false;
    bool dropped = false;  // DROP: a later CREATE of the name is a new object
};

// The relations the statement (kind, body) creates or drops, in order (empty for
// any other statement). CREATE OR REPLACE VIEW replaces rather than creates.
std::vector<CreatedObject> created_or_dropped(const std::string& kind, const ParseTree& body);

// Follows the files of a run in order and names each object created again.
class CreatedTwiceTracker {
  public:
    explicit CreatedTwiceTracker(const Policy& policy);

    // The object-created-twice findings of the next file (created: its objects
    // in statement order), in statement order. None for a down file (it undoes,
    // it does not follow) or when the policy turns the rule off.
    std::vector<Finding> next_file(const std::filesystem::path& file,
                                   const std::vector<CreatedObject>& created);

  private:
    struct First {
        std::string where;  // "file:line"
        std::string table;  // of an index
    };
    Severity m_severity;
    const RuleInfo* m_info;
    std::map<std::string, First> m_first;
};

// Adds an object-created-twice finding (severity from policy) to each later
// file, in order, that creates an object an earlier statement created. Down
// files are skipped: they undo, they do not follow.
void report_created_twice(std::vector<FileReport>& files, const Policy& policy);

}  // namespace sm::planner
