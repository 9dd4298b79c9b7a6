#!/usr/bin/env bash
# Commit subjects are at most 72 characters (issue 12). Checks every commit after the one where
# the check began; a clone without that commit (a shallow checkout) has nothing to check.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C.UTF-8  # ${#s} counts characters, not bytes
since=b784432  # nine subjects before it ran to 73-82 characters
if ! git rev-parse -q --verify "$since^{commit}" >/dev/null 2>&1; then
  echo "subjects: $since is not in this clone; nothing to check"
  exit 0
fi
bad=0
while IFS= read -r line; do
  subject=${line#* }
  if ((${#subject} > 72)); then
    echo "commit subject over 72 characters (${#subject}): $line" >&2
    bad=1
  fi
done < <(git log --no-merges --format='%h %s' "$since..HEAD")
((bad == 0)) && echo "subjects: ok"
exit "$bad"
