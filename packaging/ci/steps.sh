#!/bin/sh
# The steps of the CI examples (github-actions.yml, gitlab-ci.yml): one call,
# one step, so both pipelines run the same commands and a test
# (tests/integration/ci_steps_test.cpp) runs every step against a real
# PostgreSQL, so the examples cannot rot.
#
#   steps.sh lint-sarif    lint the migrations (changed since $SM_BASE_REF when set)
#                          into lint.sarif, for GitHub code scanning
#   steps.sh lint-gitlab   the same into gl-code-quality-report.json (GitLab Code Quality)
#   steps.sh plan          plan against the target into plan.json, the artifact to approve
#   steps.sh execute       execute --plan plan.json: exactly the approved plan, or nothing
#
# Environment: DATABASE_URL (or the config's environment through SM_ENV),
# SAFE_MIGRATE (the binary; default safe-migrate on PATH), SM_ENV (--env),
# SM_BASE_REF (a git revision: lint only what changed since), SM_OUT (where the
# reports and the plan go; default .). Exit: the command's own exit code.
set -eu

tool="${SAFE_MIGRATE:-safe-migrate}"
out="${SM_OUT:-.}"
step="${1:-}"
mkdir -p "$out"
# The global options every step passes: --env when SM_ENV names one.
if [ -n "${SM_ENV:-}" ]; then
  set -- --env "$SM_ENV"
else
  set --
fi

case "$step" in
  lint-sarif) format=sarif report="$out/lint.sarif" ;;
  lint-gitlab) format=gitlab report="$out/gl-code-quality-report.json" ;;
  plan) exec "$tool" "$@" plan --out "$out/plan.json" ;;
  execute) exec "$tool" "$@" execute --plan "$out/plan.json" ;;
  *)
    echo "steps.sh: error: unknown step '$step' (lint-sarif, lint-gitlab, plan, execute)" >&2
    exit 2
    ;;
esac

# lint: the report is written even when lint fails (exit 4), for the upload step.
if [ -n "${SM_BASE_REF:-}" ]; then
  exec "$tool" "$@" lint --changed-since "$SM_BASE_REF" --format "$format" >"$report"
fi
exec "$tool" "$@" lint --format "$format" >"$report"
