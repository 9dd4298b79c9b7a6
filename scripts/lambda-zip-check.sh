#!/usr/bin/env bash
# Checks a Lambda zip for provided.al2023 (docs/lambda.md, "The zip"): exactly one entry,
# `bootstrap`, at the root with mode 0755; an ELF program whose NEEDED libraries are only libc,
# libm and the loader; no glibc symbol version above GLIBC_2.34 (Amazon Linux 2023's glibc) and
# no GLIBCXX/CXXABI/GCC versions (libstdc++ and libgcc are linked in); under the size budget.
# Prints what it measured. Usage: scripts/lambda-zip-check.sh ZIP [MAX_ZIP_BYTES]
set -euo pipefail
zip=${1:?usage: lambda-zip-check.sh ZIP [MAX_ZIP_BYTES]}
max_zip=${2:-15000000}  # 15 MB zipped (Lambda allows 50 MB); today's is about 4 MB
fail() {
  echo "lambda-zip-check: $zip: $*" >&2
  exit 1
}

entries=$(unzip -Z1 "$zip")
[[ $entries == bootstrap ]] || fail "holds [$(echo "$entries" | tr '\n' ' ')], want exactly bootstrap"
mode=$(unzip -Z "$zip" bootstrap | awk '{print $1}')
[[ $mode == -rwxr-xr-x ]] || fail "bootstrap has mode $mode, want -rwxr-xr-x"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
unzip -q "$zip" -d "$dir"
bin=$dir/bootstrap
file_type=$(od -An -c -N4 "$bin" | tr -d ' ')
[[ $file_type == 177ELF ]] || fail "bootstrap is not an ELF program"

allowed=" libc.so.6 libm.so.6 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 "
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib in $needed; do
  [[ $allowed == *" $lib "* ]] || fail "needs $lib: only libc, libm and the loader are on every provided.al2023"
done

versions=$(objdump -T "$bin" | grep -oE '\b(GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+' | sort -u)
if grep -qE '^(GLIBCXX|CXXABI|GCC)_' <<<"$versions"; then
  fail "references $(grep -E '^(GLIBCXX|CXXABI|GCC)_' <<<"$versions" | tr '\n' ' ')(libstdc++/libgcc must be linked in)"
fi
highest=$(grep -E '^GLIBC_' <<<"$versions" | sed 's/GLIBC_//' | sort -V | tail -1)
if [[ -n $highest ]] && [[ $(printf '%s\n2.34\n' "$highest" | sort -V | tail -1) != 2.34 ]]; then
  fail "needs GLIBC_$highest ($(objdump -T "$bin" | grep -E "GLIBC_$highest" | awk '{print $NF}' | tr '\n' ' ')); Amazon Linux 2023 has 2.34"
fi
zip_bytes=$(stat -c %s "$zip")
bin_bytes=$(stat -c %s "$bin")
((zip_bytes <= max_zip)) || fail "$zip_bytes bytes zipped, budget $max_zip"
echo "lambda-zip-check: ok: bootstrap -rwxr-xr-x, NEEDED [$(tr "\n" " " <<<"$needed")], highest GLIBC_$highest," \
  "$bin_bytes bytes unzipped, $zip_bytes zipped"
