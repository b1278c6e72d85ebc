// RunFacts: what the earlier migrations of a run established, carried from file
// to file without copies; a file linted again in another mode starts from the
// facts as they were before it (undo back to the mark).
#include <catch2/catch.hpp>

#include "planner/linter.hpp"
#include "planner/policy.hpp"
#include "planner/rule_api.hpp"

// One namespace per test file: the files compile together in unity batches.
namespace planner_run_facts_test {

using sm::planner::RunFacts;

TEST_CASE("RunFacts undo restores every set and map as it was at the mark") {
    RunFacts f;
    f.add_created_table("public.a");
    f.set_not_null_check("public.a.c1", "x");
    f.add_validated_not_null("public.a.x");
    f.mark();
    auto created = f.created_tables;
    auto checks = f.not_null_checks;
    auto validated = f.validated_not_null;

    f.add_created_table("public.b");
    f.add_created_table("public.a");  // already there: nothing to undo
    f.add_primary_key("public.b.b_pkey");
    f.set_not_null_check("public.a.c1", "y");  // overwritten: the old column comes back
    f.set_not_null_check("public.b.c2", "z");
    f.drop_validated_not_null("public.a.x");
    f.add_validated_not_null("public.b.z");
    f.undo();

    CHECK(f.created_tables == created);
    CHECK(f.primary_keys.empty());
    CHECK(f.not_null_checks == checks);
    CHECK(f.validated_not_null == validated);
}

TEST_CASE("a file linted again outside a transaction starts from the run's facts before it") {
    const auto policy = sm::planner::load_policy(std::string("default"));
    RunFacts run;
    run.add_created_table("public.earlier");
    // A table created, then an index built CONCURRENTLY: the first pass (in a
    // transaction) restarts the file outside one.
    sm::planner::LintInput input("2_orders.up.sql");
    input.text =
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_note_nn CHECK (note IS NOT NULL) NOT VALID;\n"
        "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n";
    auto report = sm::planner::lint_file(input, policy, {}, std::move(run));
    CHECK(report.no_transaction);
    CHECK(report.facts.created_tables == std::set<std::string>{"public.earlier", "public.orders"});
    CHECK(report.facts.not_null_checks.count("public.orders.orders_note_nn") == 1);
    CHECK(report.facts.validated_not_null.empty());
}

}  // namespace planner_run_facts_test
