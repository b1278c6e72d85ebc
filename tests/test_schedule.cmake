# Scheduling. ctest starts the longest tests first when it knows their cost; it keeps no
# useful history for names with spaces (Testing/Temporary/CTestCostData.txt
# splits on them), so on every run, and in a fresh clone, the slowest
# integration tests would start in declaration order and one of them could run
# alone at the end. Their measured seconds (ctest -j4, this machine); a name
# that no longer exists is ignored. Read by ctest (TEST_INCLUDE_FILES), after
# the discovered tests.
set_tests_properties("integration:every command's --help ends with its examples, and every example runs" PROPERTIES COST 44)
set_tests_properties("integration:pipeline: kill -9 at random moments keeps history equal to the schema and re-runs finish" PROPERTIES COST 40)
set_tests_properties("integration:pgbackrest restore points refuse a failing check, an old base backup and a role without EXECUTE" PROPERTIES COST 39)
set_tests_properties("integration:remote catalog: create, list, verify, then restore --latest from another directory" PROPERTIES COST 22)
set_tests_properties("integration:every command prints one JSON document with a result under --format json" PROPERTIES COST 20)
set_tests_properties("integration:a pgbackrest restore point before a deploy that drops data, and restore --latest back to it" PROPERTIES COST 17)
set_tests_properties("integration:rewrite without a database writes unproven steps that plan and execute prove first" PROPERTIES COST 17)
set_tests_properties("integration:rewrite --write then execute --through contract under a writer gives the original's schema and loses no write" PROPERTIES COST 16)
set_tests_properties("integration:restore --print-steps exports the events and prints each step as a command that works" PROPERTIES COST 16)
set_tests_properties("integration:lint, plan, dry run and execute reach the same decision on every fixture" PROPERTIES COST 14)
set_tests_properties("integration:validate reports no drift on a database the example migrations built" PROPERTIES COST 13)
set_tests_properties("integration:remote catalog: an upload killed midway is incomplete, never chosen, and pruned once old" PROPERTIES COST 13)
set_tests_properties("integration:validate compares only what was applied, and never creates the history schema" PROPERTIES COST 12)
set_tests_properties("integration:validate finds each kind of manual change to the live schema" PROPERTIES COST 12)
set_tests_properties("integration:remote catalog: a multipart upload killed midway is aborted by prune" PROPERTIES COST 12)
set_tests_properties("integration:execute --verify undoes a run whose migration built what validate flags" PROPERTIES COST 11)
set_tests_properties("integration:prune keeps the newest and the pinned and the newest verified and drops failed ones" PROPERTIES COST 9)
set_tests_properties("integration:restore: the audit trail only grows across a manual and an automatic restore" PROPERTIES COST 9)
set_tests_properties("integration:a backfill killed with SIGKILL at 10 random moments ends equal to one UPDATE" PROPERTIES COST 9)
set_tests_properties("integration:a migration that fails on the copy blocks the plan" PROPERTIES COST 9)
set_tests_properties("integration:plan --trace observes ACCESS EXCLUSIVE and rewrites and flags reality stronger than predicted" PROPERTIES COST 9)
set_tests_properties("integration:remote catalog: a self-signed https endpoint fails TLS verification" PROPERTIES COST 9)
set_tests_properties("integration:schema dump writes a snapshot that validate --snapshot compares against" PROPERTIES COST 8)
set_tests_properties("integration:remote catalog: verify names a truncated and a bit-flipped object" PROPERTIES COST 8)
set_tests_properties("integration:remote catalog: a wrong secret is refused, and no secret is ever shown or stored" PROPERTIES COST 7)
set_tests_properties("integration:backup then restore --latest brings back the schema and every row" PROPERTIES COST 7)
set_tests_properties("integration:execute's 'already exists' hint names each tool whose history the database holds" PROPERTIES COST 7)
set_tests_properties("integration:a long statement prints heartbeats naming what it waits on, and -q hides them" PROPERTIES COST 7)
set_tests_properties("integration:a wrong or missing key stops verify and restore before anything is touched" PROPERTIES COST 7)
set_tests_properties("integration:no password appears in backup output or manifests or restore output" PROPERTIES COST 6)
set_tests_properties("integration:plan --trace keeps the password out of its output and off pg_dump's argv" PROPERTIES COST 6)
set_tests_properties("integration:SIGINT while validate starts its throwaway cluster stops it and removes it" PROPERTIES COST 6)
set_tests_properties("integration:remote catalog: requests are retried on 503 and SlowDown" PROPERTIES COST 6)
set_tests_properties("integration:backup list shows pre-restore databases and prune drops them" PROPERTIES COST 6)
set_tests_properties("integration:SIGINT while validate runs a slow migration on the throwaway database cancels it" PROPERTIES COST 6)
set_tests_properties("integration:execute --plan refuses when the files, the head, the target or the settings changed" PROPERTIES COST 6)

# Tests that attach a replication client to the suite's cluster (a standby, a
# WAL receiver) and the test that finds none attached never run at once: the
# cluster's standbys are seen from every database.
set_tests_properties(
  "integration:execute refuses a standby and applies nothing"
  "integration:a backfill pauses while the replicas' lag cannot be read and names the grant"
  "integration:status --health names invalid indexes, NOT VALID constraints and full sequences"
  PROPERTIES RESOURCE_LOCK sm_replication_clients)
