#!/usr/bin/env bash
# Installs the Debian packages kbsearch needs to build, test and demo, and
# any extra ones named as arguments (bench/setup.sh adds its own).
# Idempotent: packages already present are skipped, and apt is not touched at
# all when nothing is missing (so a developer machine needs no root).
set -euo pipefail

packages=(
  build-essential g++ pkg-config meson ninja-build
  libxapian-dev libicu-dev libsqlite3-dev libjansson-dev libyaml-dev
  libcmark-dev libcmocka-dev nettle-dev
  # lemmas of French words (lib/text/lemma.c): the library and the dictionary
  libhunspell-dev hunspell-fr-classical
  libgroonga-dev
  sqlite3 valgrind
  # tools/fuzz.sh: libFuzzer is in clang's runtime package (a recommend of
  # clang, which --no-install-recommends skips); llvm-14 symbolizes traces.
  clang libclang-rt-14-dev llvm-14
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "setup: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
