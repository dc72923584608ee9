#!/usr/bin/env python3
"""Seed inputs for the fuzz targets, derived from the sample corpus and the
tests at run time rather than committed: the articles, synonyms and queries
of corpus/ and bench/, and the string literals of the tests' tables (every
edge case a test already names is a good place for the fuzzer to start).

    make_seeds.py SOURCE_ROOT OUT_DIR    writes OUT_DIR/<target>/<name>

Inputs follow each target's layout (see the comment at the top of
tests/fuzz/fuzz_<target>.c): option bytes first where it has them.
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import sys

root = pathlib.Path(sys.argv[1])
out = pathlib.Path(sys.argv[2])


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def c_literals(path):
    """Every run of adjacent C string literals in a file, as bytes, with
    the escapes a test table uses; comments and char literals skipped."""
    src = path.read_text(encoding="utf-8")
    tok = re.compile(r'//[^\n]*|/\*.*?\*/|\'(?:[^\'\\]|\\.)*\'|"((?:[^"\\\n]|\\.)*)"|(\s+)|.',
                     re.S)
    runs, cur, gap = [], None, False
    for m in tok.finditer(src):
        lit, space = m.group(1), m.group(2)
        if lit is not None:
            cur = (cur or b"") + unescape(lit)
        elif space is not None or m.group(0).startswith(("//", "/*")):
            continue
        elif cur is not None:
            runs.append(cur)
            cur = None
    return runs


def unescape(s):
    b, i = bytearray(), 0
    simple = {"n": 10, "r": 13, "t": 9, "0": 0, "\\": 92, '"': 34, "'": 39, "f": 12,
              "v": 11, "a": 7, "b": 8, "?": 63}
    while i < len(s):
        c = s[i]
        if c != "\\":
            b += c.encode()
            i += 1
            continue
        e = s[i + 1]
        if e == "x":
            m = re.match(r"[0-9a-fA-F]+", s[i + 2:])
            b.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            b.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            b.append(simple.get(e, ord(e)))
            i += 2
    return bytes(b)


corpus = root / "corpus"
tests = root / "tests"
md_files = sorted((corpus / "articles").rglob("*.md"))
jsonl_lines = [l for l in (corpus / "export.jsonl").read_text(encoding="utf-8").splitlines() if l]
queries = [l for l in (root / "bench/queries.txt").read_text(encoding="utf-8").splitlines()
           if l and not l.startswith("#")]
for l in (root / "bench/relevance/queries.tsv").read_text(encoding="utf-8").splitlines():
    cols = l.split("\t")
    if not l.startswith("#") and len(cols) > 3:
        queries.append(cols[3])

# Articles: every corpus file; the tests' Markdown and JSONL rows.
for f in md_files:
    put("markdown", f.read_bytes())
for l in jsonl_lines:
    put("jsonl", l + "\n")
put("jsonl", (corpus / "export.jsonl").read_bytes())
for lit in c_literals(tests / "test_parse.c") + c_literals(tests / "test_index.c"):
    if lit.startswith((b"---", b"\xef\xbb\xbf---")):
        put("markdown", lit)
    elif lit.lstrip().startswith((b"{", b"[")):
        put("jsonl", lit)

# The real indexing path: a few of each format (first byte: 0 Markdown,
# 1 JSONL, 2 and 3 the same in strict mode).
for i, f in enumerate(md_files[::6]):
    put("index", bytes([2 * (i % 2)]) + f.read_bytes())
for i, l in enumerate(jsonl_lines[::3]):
    put("index", bytes([1 + 2 * (i % 2)]) + (l + "\n").encode())
put("index", b"\x01" + (corpus / "export.jsonl").read_bytes())

# Analyzer: the text tests' inputs and the queries, in each language
# (first byte: index into fz_langs), and one article body per language.
for i, lit in enumerate(c_literals(tests / "test_text.c")):
    put("analyzer", bytes([i % 8]) + lit)
for i, q in enumerate(queries):
    put("analyzer", bytes([i % 3]) + q.encode())
put("analyzer", b"\x01" + (corpus / "articles/fr/fr-mdp-oublie.md").read_bytes())
put("analyzer", b"\x02" + (corpus / "articles/en/en-forgot-password.md").read_bytes())
# Huge tokens, from the edge of KBS_TEXT_MAX_TERM to the input limit.
for n in (63, 64, 65, 200, 60000):
    put("analyzer", b"\x01" + b"a" * n)
put("analyzer", b"\x01" + "é".encode() * 30000)
put("analyzer", b"\x00" + b"e" + "\u0301".encode() * 20000)
put("analyzer", b"\x02" + b"1" * 40000)
put("analyzer", b"\x05" + "パスワード".encode() * 3000)

# Queries: two option bytes (see fuzz_query.c), then the text.
for i, q in enumerate(queries):
    put("query", bytes([i % 256, (i * 7) % 256]) + q.encode())
put("query", b"\x00\x00" + b"a" * 4096)
put("query", b"\x00\x00" + b"a" * 4097)

# Synonyms: the corpus files, each rule alone, the tests' rows.
for f in sorted(corpus.glob("synonyms.*.txt")):
    text = f.read_text(encoding="utf-8")
    put("synonyms", text)
    for l in text.splitlines():
        if l and not l.startswith("#"):
            put("synonyms", l + "\n")
for lit in c_literals(tests / "test_synonyms.c"):
    if b"," in lit or b"=>" in lit:
        put("synonyms", lit)

# Events: the tests' import files, and a day of traffic on corpus ids with
# the personal data redaction must catch.
for lit in c_literals(tests / "test_events.c"):
    if b'"type"' in lit:
        put("events", lit)
ids = [f.stem for f in md_files]
day = []
for i, q in enumerate(queries[:40]):
    s = f"s{i % 7}"
    at = f"2026-03-02T{8 + i % 12:02d}:{i % 60:02d}:00Z"
    day.append({"type": "search", "session": s, "at": at, "query": q,
                "lang": ["fr", "en"][i % 2]})
    day.append({"type": "view", "session": s, "at": at, "article": ids[i % len(ids)]})
    if i % 3 == 0:
        day.append({"type": "vote", "session": s, "at": at, "article": ids[i % len(ids)],
                    "helpful": i % 2 == 0,
                    "comment": "appelez moi au 06 12 34 56 78 ou jean@example.com"})
    if i % 5 == 0:
        day.append({"type": "ticket", "session": s, "at": at})
    if i % 7 == 0:
        day.append({"type": "resolved", "session": s, "at": at, "article": ids[i % len(ids)]})
put("events", "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in day))
for e in day[:12]:
    put("events", json.dumps(e, ensure_ascii=False) + "\n")
put("events", json.dumps({"type": "search", "session": "p", "roles": ["agent"],
                          "category": "Compte", "tags": ["mot de passe"], "kind": "faq",
                          "query": "carte 4111 1111 1111 1111 iban FR76 3000 6000 0112 3456 "
                                   "7890 189 numéro 123456789"}) + "\n")
