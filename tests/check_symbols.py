#!/usr/bin/env python3
"""The version map, the header's KBS_EXPORT functions and the shared
library's dynamic symbols must be the same set: a function missing from the
map is unusable, an extra export leaks an internal."""
import re
import subprocess
import sys

header, mapfile, lib = sys.argv[1:4]
text = open(header, encoding="utf-8").read()
declared = set(re.findall(r"KBS_EXPORT[^;(]*?\b(kbs_\w+)\s*\(", text))
mapped = set(re.findall(r"^\s*(kbs_\w+);", open(mapfile).read(), re.M))
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                     text=True, check=True).stdout
exported = {line.split()[-1].split("@")[0] for line in out.splitlines()
            if line.split() and line.split()[-2] in ("T", "W")}
exported = {s for s in exported if not s.startswith("_")}
ok = True
for name, a, b in (("header but not map", declared, mapped),
                   ("map but not header", mapped, declared),
                   ("exported but not in header", exported, declared),
                   ("in header but not exported", declared, exported)):
    diff = sorted(a - b)
    if diff:
        ok = False
        print(f"in {name}: {', '.join(diff)}")
print(f"{len(declared)} public functions checked")
sys.exit(0 if ok else 1)
