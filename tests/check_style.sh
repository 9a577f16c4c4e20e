#!/usr/bin/env bash
# Style gate (CONTRIBUTING.md, Style): clang-format clean with the tree's .clang-format, and
# none of the banned string functions in C sources.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || { echo "style: no C files found" >&2; exit 2; }
status=0
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/tbe-style.$$; then
    head -40 /tmp/tbe-style.$$
    echo "style: clang-format differences (run: clang-format -i FILE)"
    status=1
fi
rm -f /tmp/tbe-style.$$
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets)[[:space:]]*\(' "${files[@]}"; then
    echo "style: banned function (use snprintf, memcpy with a length, strtol ...)"
    status=1
fi
echo "style: ${#files[@]} files checked"
exit $status
