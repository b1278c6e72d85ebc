// Each command's examples, as its --help ends and the man page shows them. The
// integration test help_examples_test runs every line in a project that init
// started, so none of them can stop working unnoticed.
#include <map>

#include "docs/tool_doc.hpp"

namespace sm::docs {
namespace {

using Examples = std::map<std::string, std::vector<std::string>, std::less<>>;

const Examples& table() {
    static const Examples examples = {
        {"init", {"safe-migrate init", "safe-migrate --migrations-dir db/migrations init"}},
        {"new",
         {"safe-migrate new add_orders_status",
          "safe-migrate new index_orders_status --no-transaction"}},
        {"status",
         {"safe-migrate status", "safe-migrate status --format json",
          "safe-migrate status --tables --health"}},
        {"lint",
         {"safe-migrate lint", "safe-migrate lint migrations --policy strict --format sarif",
          "safe-migrate lint --list-rules"}},
        {"plan", {"safe-migrate plan", "safe-migrate plan --out plan.json"}},
        {"execute",
         {"safe-migrate execute --dry-run", "safe-migrate execute --plan plan.json --verify",
          "safe-migrate execute --through contract --lock-timeout 2s --lock-retries 10"}},
        {"rollback",
         {"safe-migrate rollback", "safe-migrate rollback --steps 2",
          "safe-migrate rollback --only 20260101090700"}},
        {"backup",
         {"safe-migrate backup create --label before-release", "safe-migrate backup list",
          "safe-migrate backup verify --latest --full"}},
        {"restore",
         {"safe-migrate restore --latest --into app_restored",
          "safe-migrate restore --latest --into app_restored --jobs 2"}},
        {"notify", {"safe-migrate notify test", "safe-migrate notify flush"}},
        {"seed",
         {"safe-migrate seed run --env development",
          "safe-migrate seed status --env development --format json"}},
        {"reset",
         {"safe-migrate reset --env development --confirm",
          "safe-migrate reset --env development --confirm --scale 2"}},
        {"sandbox",
         {"safe-migrate sandbox start", "safe-migrate sandbox url", "safe-migrate sandbox stop"}},
        {"validate", {"safe-migrate validate", "safe-migrate validate --format json"}},
        {"check", {"safe-migrate check", "safe-migrate check --format json"}},
        {"schema",
         {"safe-migrate schema dump --out schema.json", "safe-migrate schema dump --from-target"}},
        {"adopt",
         {"safe-migrate adopt --from dbmate --dry-run", "safe-migrate adopt --from dbmate"}},
        {"backfill",
         {"safe-migrate backfill status", "safe-migrate backfill pause",
          "safe-migrate backfill resume --format json"}},
        {"rewrite",
         {"safe-migrate rewrite migrations/20260101091000_add_orders_total_check.up.sql",
          "safe-migrate rewrite migrations/20260101090800_index_foreign_keys.up.sql --format "
          "json"}},
    };
    return examples;
}

}  // namespace

const std::vector<std::string>& examples_of(std::string_view command) {
    static const std::vector<std::string> none;
    auto it = table().find(command);
    return it == table().end() ? none : it->second;
}

std::string examples_text(std::string_view command) {
    std::string text = "Examples:";
    for (const auto& line : examples_of(command)) {
        text += "\n  " + line;
    }
    return text;
}

}  // namespace sm::docs
