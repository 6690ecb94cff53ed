#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The HTML pages in a real headless Chromium (Debian's chromium): the job page and the overview
# render, the numbers on the rendered page match the API, screenshots are kept as artefacts in
# $AIF_BUILDDIR/test-artefacts/collector/.
. "$AIF_SRCDIR/tests/collector/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || skip "chromium not installed (tests/install-deps.sh)"
ART=$B/test-artefacts/collector
mkdir -p "$ART"
start_collector
python3 "$S/tests/collector/records.py" siteA c1 101 gpu-node-01 gpu-node-02 --reject > "$T/job.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/job.json"; expect 200 "records"
api "$TOKEN_A" GET /v1/jobs/siteA/c1/101; expect 200 "API report"; cp "$T/out" "$T/report.json"

# Chromium, headless, in a private profile; the page comes straight from the collector, with
# the site's credentials (Basic: site name and token) and the test CA's certificate accepted.
chrome() {
    timeout 60 "$CHROME" --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions \
        --user-data-dir="$T/profile" --ignore-certificate-errors --hide-scrollbars --window-size=1000,1600 "$@" \
        2>>"$T/chrome.log"
}
PAGE="https://siteA:$TOKEN_A@127.0.0.1:$PORT/jobs/siteA/c1/101"
say "job page: dump the rendered DOM and compare its numbers with the API"
chrome --dump-dom "$PAGE" > "$T/dom.html" || die "chromium --dump-dom failed: $(tail -3 "$T/chrome.log")"
grep -q 'id="memory-chart"' "$T/dom.html" || {
    # Some Chromium builds drop URL credentials: fall back to the page fetched with curl.
    say "(credentials in the URL not used by this Chromium; rendering the page fetched with curl)"
    curl -sS --cacert "$T/pki/ca.pem" -u "siteA:$TOKEN_A" -o "$T/page.html" "$URL/jobs/siteA/c1/101"
    PAGE="file://$T/page.html"
    chrome --dump-dom "$PAGE" > "$T/dom.html" || die "chromium --dump-dom failed"
}
python3 "$S/tests/collector/page_numbers.py" "$T/dom.html" "$T/report.json" || die "page numbers differ from the API"
grep -q 'id="usage"' "$T/dom.html" && grep -q 'id="gpu-hours-charged"' "$T/dom.html" ||
    die "job page lacks the charged/used panel"
grep -q 'id="node-energy">n/a<' "$T/dom.html" || die "unmeasured node energy is not n/a"

say "screenshots"
rm -f "$ART/job-101.png" "$ART/overview.png" "$ART/federation.png"
chrome --screenshot="$ART/job-101.png" "$PAGE" >/dev/null || die "job page screenshot failed"
curl -sS --cacert "$T/pki/ca.pem" -u "x:$TOKEN_FED" -o "$T/overview.html" "$URL/"
grep -q 'href="/jobs/siteA/c1/101"' "$T/overview.html" || die "overview lacks the job"
chrome --screenshot="$ART/overview.png" "file://$T/overview.html" >/dev/null || die "overview screenshot failed"
curl -sS --cacert "$T/pki/ca.pem" -u "x:$TOKEN_FED" -o "$T/federation.html" "$URL/overview"
chrome --dump-dom "file://$T/federation.html" > "$T/federation.dom.html" || die "chromium --dump-dom of /overview failed"
for id in by-partition by-account by-user filters; do
    grep -q "id=\"$id\"" "$T/federation.dom.html" || die "federation overview lacks #$id"
done
grep -q '<td>siteA</td>' "$T/federation.dom.html" || die "federation overview lacks siteA"
chrome --screenshot="$ART/federation.png" "file://$T/federation.html" >/dev/null || die "federation screenshot failed"
cp "$T/dom.html" "$ART/job-101.dom.html"
# A real picture: PNG of the window size, and far from blank (a blank page compresses to ~5 KB).
for f in "$ART/job-101.png" "$ART/overview.png" "$ART/federation.png"; do
    python3 - "$f" <<'PY' || die "$f is not a rendered page"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1000, 1600), f"size {w}x{h}"
assert len(data) > 20000, f"only {len(data)} bytes: blank page?"
PY
done
say "screenshots kept: $ART/job-101.png $ART/overview.png $ART/federation.png"
echo "PASS"
