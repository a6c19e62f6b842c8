#!/usr/bin/env bash
# The C of bpf/ in the style of bpf/.clang-format (the kernel's).
#   format-c.sh --check   exit 1 and show the diff if a file is not formatted (pnpm lint)
#   format-c.sh --write   format the files in place (pnpm format)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh

mode=${1:-}
[ "$mode" = --check ] || [ "$mode" = --write ] || die "usage: $0 --check | --write"
command -v clang-format >/dev/null || die "clang-format is missing: run scripts/setup.sh (Debian package clang-format)"

mapfile -t files < <(git ls-files -- 'bpf/*.c' 'bpf/*.h')
[ ${#files[@]} -gt 0 ] || die "no C files found under bpf/ (is this a git checkout?)"

if [ "$mode" = --write ]; then
  clang-format -i "${files[@]}"
  exit 0
fi

drift=()
for file in "${files[@]}"; do
  if ! clang-format "$file" | diff -u --label "$file" --label "$file (clang-format)" "$file" - >&2; then
    drift+=("$file")
  fi
done
if [ ${#drift[@]} -gt 0 ]; then
  die "${#drift[@]} of ${#files[@]} C files are not formatted (diff above): ${drift[*]}; run \`pnpm format\`"
fi
echo "format-c: ${#files[@]} C files formatted"
