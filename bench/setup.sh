#!/usr/bin/env bash
# Installs what the benchmarks need on top of tools/setup.sh: the Debian FAQ
# and Debian Reference in French and English, whose text gives the corpus
# generator (bench/gen_corpus) its word statistics. Kept out of
# tools/setup.sh so that a test run does not pay for them.
# Idempotent, like tools/setup.sh: apt is not touched when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh

packages=(debian-faq debian-faq-fr debian-reference-en debian-reference-fr)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bench/setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "bench/setup: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
