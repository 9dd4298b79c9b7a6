# shellcheck shell=bash
# Sourced by the CLI's end-to-end tests: runs of `cloudlite` into $TMP/out and $TMP/err, and the
# checks on them. A failed check is counted (FAILURES), not fatal, so that one run shows every
# failure; `finish NAME` ends the test with them.

BIN=${CLOUDLITE_BIN:?set CLOUDLITE_BIN to the cloudlite executable}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck disable=SC2034  # the sourcing test uses it
STORE="file://$TMP/store"
FAILURES=0

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# run ARGS...: runs cloudlite, leaving stdout in $TMP/out, stderr in $TMP/err, status in CODE.
run() {
  set +e
  "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
  CODE=$?
  set -e
}

# expect_code WANT ARGS...: runs cloudlite and checks its exit status. Always returns 0 so
# that the checks chained after it with && still run and show what the command printed.
expect_code() {
  local want=$1
  shift
  run "$@"
  if [[ $CODE != "$want" ]]; then
    fail "cloudlite $*: exit $CODE, want $want; stderr: $(head -c 500 "$TMP/err")"
  fi
  return 0
}

# expect_out TEXT: stdout of the last run must be exactly TEXT (compared with its newline).
expect_out() {
  if ! diff -u <(printf '%s\n' "$1") "$TMP/out" >"$TMP/diff"; then
    fail "unexpected stdout (---want +++got):"$'\n'"$(cat "$TMP/diff")"
  fi
}

expect_out_contains() {
  if ! grep -qF -- "$1" "$TMP/out"; then
    fail "stdout lacks '$1'; stdout: $(head -c 800 "$TMP/out")"
  fi
}

expect_err_contains() {
  if ! grep -qF -- "$1" "$TMP/err"; then
    fail "stderr lacks '$1'; stderr: $(head -c 500 "$TMP/err")"
  fi
}

# Errors are one line, starting "cloudlite: ".
expect_one_error_line() {
  if [[ $(wc -l <"$TMP/err") != 1 ]] || ! grep -q '^cloudlite: ' "$TMP/err"; then
    fail "error is not one 'cloudlite: ...' line: $(cat "$TMP/err")"
  fi
}

expect_empty_stdout() {
  if [[ -s $TMP/out ]]; then fail "stdout should be empty, got: $(head -c 500 "$TMP/out")"; fi
}

# finish NAME: exit 1 naming how many checks failed, else say that all passed.
finish() {
  if ((FAILURES > 0)); then
    echo "$1: $FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "$1: all checks passed"
}
