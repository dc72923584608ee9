#!/usr/bin/env bash
# Installs what the benchmarks need on top of the project's packages: the
# Debian FAQ and Debian Reference in French and English, whose text gives the
# corpus generator (bench/gen_corpus) its word statistics. Kept out of the
# test setup so that a test run does not pay for them.
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./tools/setup.sh debian-faq debian-faq-fr debian-reference-en debian-reference-fr
