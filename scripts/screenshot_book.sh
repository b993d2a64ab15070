#!/usr/bin/env bash
# Screenshot built book pages with headless Chromium (Debian: apt-get install chromium),
# to look at them as a reader would. Usage, after `make book`:
#   scripts/screenshot_book.sh [page ...]      (default: every figure page, the audit, the quick start)
# PNGs land in _build/screenshots/<page>.png.
set -euo pipefail
cd "$(dirname "$0")/.."
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "no chromium found: apt-get install chromium" >&2; exit 1; }
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
  for md in book/figures/*.md; do pages+=("${md%.md}"); done
  pages+=(book/audit book/quickstart)
fi
mkdir -p _build/screenshots
for page in "${pages[@]}"; do
  html="_build/html/${page}.html"
  [ -f "$html" ] || { echo "missing $html (run make book first)" >&2; exit 1; }
  out="_build/screenshots/$(echo "$page" | tr '/' '_').png"
  "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1280,2400 --screenshot="$out" "file://$PWD/$html" >/dev/null 2>&1
  echo "$out"
done
