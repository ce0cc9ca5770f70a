# Sourced by the bench scripts: installs what they need, builds ChurnKit in
# release mode and generates the 10M-event file once. Sets $data.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/bootstrap
scripts/python-env
swift build -c release --product churnkit >&2
swift build -c release --product churnkit-bench >&2
data=bench/data/10m
if [ ! -f "$data/events.csv" ]; then
  .build/release/churnkit generate --customers 312000 --seed 7 --out "$data" >&2
fi
mkdir -p bench/out
