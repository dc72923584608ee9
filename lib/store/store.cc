// The Xapian shim. See store.h for the storage layout.
//
// Every extern "C" body is one try block; every catch calls store_error(),
// which re-throws the exception in flight and maps it to a kbs_status, so
// that no C++ exception ever reaches C and no mapping is written twice.

#include "store.h"

#include <xapian.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <mutex>
#include <deque>
#include <set>
#include <string_view>
#include <unordered_map>
#include <new>
#include <string>
#include <vector>

namespace {

kbs_status store_error(kbs_err *err)
{
	try {
		throw;
	} catch (const Xapian::DatabaseModifiedError &e) {
		return kbs_err__set(err, KBS_ERETRY, "the index changed while reading it: %s",
				    e.get_msg().c_str());
	} catch (const Xapian::DatabaseLockError &e) {
		return kbs_err__set(err, KBS_ELOCKED,
				    "the knowledge base is being written by another indexer (%s)",
				    e.get_msg().c_str());
	} catch (const Xapian::DatabaseNotFoundError &e) {
		return kbs_err__set(err, KBS_ENOTFOUND, "no index: %s", e.get_msg().c_str());
	} catch (const Xapian::DatabaseCorruptError &e) {
		return kbs_err__set(err, KBS_EIO, "the index is damaged: %s", e.get_msg().c_str());
	} catch (const Xapian::DatabaseError &e) {
		// The engine keeps the system's reason only as text: a write
		// that failed for room is told apart from damage by comparing it.
		const char *why = e.get_error_string();
		if (why && (!std::strcmp(why, std::strerror(ENOSPC)) ||
			    !std::strcmp(why, std::strerror(EFBIG)) ||
			    !std::strcmp(why, std::strerror(EDQUOT))))
			return kbs_err__set(err, KBS_EIO,
					    "cannot write the index: the disk is full (%s: %s)",
					    e.get_msg().c_str(), why);
		if (why)
			return kbs_err__set(err, KBS_EIO, "cannot read or write the index (%s: %s)",
					    e.get_msg().c_str(), why);
		return kbs_err__set(err, KBS_EIO, "the index is damaged or unreadable (%s: %s)",
				    e.get_type(), e.get_msg().c_str());
	} catch (const Xapian::QueryParserError &e) {
		return kbs_err__set(err, KBS_ESYNTAX, "query: %s", e.get_msg().c_str());
	} catch (const Xapian::Error &e) {
		return kbs_err__set(err, KBS_ERROR, "engine %s: %s", e.get_type(), e.get_msg().c_str());
	} catch (const std::bad_alloc &) {
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	} catch (const std::exception &e) {
		return kbs_err__set(err, KBS_ERROR, "internal error: %s", e.what());
	} catch (...) {
		return kbs_err__set(err, KBS_ERROR, "internal error: unknown exception");
	}
}

char *dup_string(const std::string &s)
{
	char *p = static_cast<char *>(std::malloc(s.size() + 1));
	if (!p)
		throw std::bad_alloc();
	std::memcpy(p, s.data(), s.size());
	p[s.size()] = '\0';
	return p;
}

// The facet labels of each document the searches have counted, as small
// ids, for one revision of the index, shared by every reader of a
// knowledge base. Counting facets meets thousands of matches per search;
// reading and hashing each one's KBS_SLOT_FACETS value cost as much as
// ranking. A document is read once per revision, by whichever search
// meets it first; the others add up ids. A new revision starts a new
// table (an article re-indexed keeps its docid but may change its
// labels), so it holds at most one entry per document of the index.
//
// Threads: a document's entry is published once, complete, with a
// release store; readers find it with an acquire load and read it without
// a lock. Making an entry, and reading label names, take the mutex.
class FacetTable {
    public:
	FacetTable(Xapian::rev rev, Xapian::docid last)
		: rev(rev), nat(static_cast<size_t>(last) + 1),
		  at(new std::atomic<const uint32_t *>[nat])
	{
		for (size_t i = 0; i < nat; i++)
			at[i].store(nullptr, std::memory_order_relaxed);
	}

	const Xapian::rev rev;

	// The label ids of document `did` as [count, id...], or NULL for a
	// document this revision cannot have; value() gives its facets value
	// when they are not known yet.
	template <class Value> const uint32_t *labels_of(Xapian::docid did, Value value)
	{
		if (did >= nat)
			return nullptr;
		const uint32_t *run = at[did].load(std::memory_order_acquire);
		if (run)
			return run;
		const std::string v = value();
		std::lock_guard<std::mutex> hold(m);
		if ((run = at[did].load(std::memory_order_relaxed)))
			return run;
		std::vector<uint32_t> ids{ 0 };
		std::string_view rest(v);
		while (!rest.empty()) {
			std::string_view::size_type e = rest.find('\n');
			std::string_view label = rest.substr(0, e);
			if (!label.empty())
				ids.push_back(id_of(label));
			if (e == std::string_view::npos)
				break;
			rest.remove_prefix(e + 1);
		}
		ids[0] = static_cast<uint32_t>(ids.size() - 1);
		uint32_t *copy = room(ids.size());
		std::copy(ids.begin(), ids.end(), copy);
		at[did].store(copy, std::memory_order_release);
		return copy;
	}

	std::string label(uint32_t id)
	{
		std::lock_guard<std::mutex> hold(m);
		return labels[id];
	}

    private:
	uint32_t id_of(std::string_view label)
	{
		auto it = ids.find(label);
		if (it != ids.end())
			return it->second;
		uint32_t id = static_cast<uint32_t>(labels.size());
		labels.emplace_back(label);
		ids.emplace(labels.back(), id);
		return id;
	}

	// n ids that never move: runs are read without the mutex.
	uint32_t *room(size_t n)
	{
		static constexpr size_t BLOCK = 1 << 16;
		if (blocks.empty() || used + n > BLOCK) {
			blocks.emplace_back(new uint32_t[n > BLOCK ? n : BLOCK]);
			used = 0;
		}
		uint32_t *p = blocks.back().get() + used;
		used += n;
		return p;
	}

	const size_t nat;
	std::unique_ptr<std::atomic<const uint32_t *>[]> at; // per docid
	std::mutex m;
	std::vector<std::unique_ptr<uint32_t[]>> blocks;
	size_t used = 0;
	std::deque<std::string> labels; // by id; elements never move
	std::unordered_map<std::string_view, uint32_t> ids; // views of labels
};

// Counts the labels of every match the matcher looks at, by id.
class FacetSpy : public Xapian::MatchSpy {
    public:
	explicit FacetSpy(FacetTable *table) : table(table) {}

	void operator()(const Xapian::Document &doc, double) override
	{
		add(table->labels_of(doc.get_docid(), [&] { return doc.get_value(KBS_SLOT_FACETS); }));
	}

	// For a match found without the matcher (Counter).
	void operator()(const Xapian::Database &db, Xapian::docid did)
	{
		add(table->labels_of(did, [&] { return db.get_document(did).get_value(KBS_SLOT_FACETS); }));
	}

	std::vector<Xapian::doccount> counts; // by id
	std::vector<uint32_t> seen;           // ids counted, in the order first met

    private:
	void add(const uint32_t *run)
	{
		for (uint32_t i = 1; run && i <= run[0]; i++) {
			uint32_t id = run[i];
			if (id >= counts.size())
				counts.resize(static_cast<size_t>(id) + 1, 0);
			if (counts[id]++ == 0)
				seen.push_back(id);
		}
	}

	FacetTable *table;
};

// The documents a KBS_Q_KEPT filter matches, for one revision of the
// index: a bit per docid, filled 64 docids at a time (Counter::windows).
class DocSet {
    public:
	explicit DocSet(Xapian::docid last) : bits(static_cast<size_t>(last) / 64 + 1, 0), end(last) {}

	// Adds the documents of `w`, the bits of docids 64 i .. 64 i + 63.
	void add(size_t i, uint64_t w)
	{
		if (!w || i >= bits.size())
			return;
		bits[i] |= w;
		count += static_cast<Xapian::doccount>(__builtin_popcountll(w));
		top = std::max(top, static_cast<Xapian::docid>(i * 64 + 63 - static_cast<size_t>(__builtin_clzll(w))));
	}

	Xapian::doccount size() const { return count; }

	// The highest docid of the set; 0: empty.
	Xapian::docid last() const { return top; }

	bool has(Xapian::docid did) const
	{
		return did / 64 < bits.size() && (bits[did / 64] >> (did % 64) & 1);
	}

	// Bits of docids 64 w .. 64 w + 63.
	uint64_t word(size_t w) const { return w < bits.size() ? bits[w] : 0; }

	// Docids of the index outside the set (some of them deleted ones).
	Xapian::doccount outside() const { return end - count; }

	// The first docid from `from` on that is in the set (outside: that is
	// not, up to the index's last); 0: none.
	Xapian::docid first_from(Xapian::docid from, bool outside) const
	{
		size_t w = from / 64;
		if (w >= bits.size())
			return 0;
		uint64_t flip = outside ? ~uint64_t{ 0 } : 0;
		uint64_t word = (bits[w] ^ flip) & (~uint64_t{ 0 } << (from % 64));
		while (!word) {
			if (++w == bits.size())
				return 0;
			word = bits[w] ^ flip;
		}
		auto did = static_cast<Xapian::docid>(w * 64 + static_cast<size_t>(__builtin_ctzll(word)));
		return did <= end ? did : 0;
	}

    private:
	std::vector<uint64_t> bits;
	Xapian::docid end; // the index's last docid
	Xapian::doccount count = 0;
	Xapian::docid top = 0;
};

// A DocSet (or the docids outside it) as a posting list the engine
// filters by: it skips through it as through a term's, at the cost of a few
// word scans, and knows its exact size, so totals are estimated as with
// the filter's own terms.
class DocSetSource : public Xapian::PostingSource {
    public:
	DocSetSource(std::shared_ptr<const DocSet> set, bool outside)
		: set(std::move(set)), outside(outside)
	{
	}

	Xapian::doccount get_termfreq_min() const override { return outside ? 0 : set->size(); }
	Xapian::doccount get_termfreq_est() const override { return get_termfreq_max(); }
	Xapian::doccount get_termfreq_max() const override
	{
		return outside ? set->outside() : set->size();
	}
	void init(const Xapian::Database &) override { did = 0; }
	void next(double) override { did = set->first_from(did + 1, outside); }
	void skip_to(Xapian::docid to, double) override
	{
		if (to > did)
			did = set->first_from(to, outside);
	}
	bool at_end() const override { return did == 0; }
	Xapian::docid get_docid() const override { return did; }
	Xapian::PostingSource *clone() const override { return new DocSetSource(set, outside); }

    private:
	std::shared_ptr<const DocSet> set;
	bool outside;
	Xapian::docid did = 0;
};

// The DocSets of one revision, by filter. A few filters are shared by
// many searches (one per language and set of roles); past MAX_SETS the
// others are applied as they are rather than kept.
class KeptSets {
    public:
	explicit KeptSets(Xapian::rev rev) : rev(rev) {}

	const Xapian::rev rev;

	// The set of the filter described by `key`, made by make() the first
	// time; NULL when no more are kept (or make() cannot).
	template <class Make> std::shared_ptr<const DocSet> get(std::string key, Make make)
	{
		{
			std::lock_guard<std::mutex> hold(m);
			auto it = sets.find(key);
			if (it != sets.end())
				return it->second;
			if (sets.size() >= MAX_SETS)
				return nullptr;
		}
		// Made without the lock: other searches go on meanwhile. Two
		// searches may make the same set; the first one kept wins.
		std::shared_ptr<const DocSet> made = make();
		std::lock_guard<std::mutex> hold(m);
		if (!made || sets.size() >= MAX_SETS)
			return made;
		return sets.emplace(std::move(key), std::move(made)).first->second;
	}

    private:
	static constexpr size_t MAX_SETS = 32;
	std::mutex m;
	std::unordered_map<std::string, std::shared_ptr<const DocSet>> sets;
};

Xapian::Query build(kbs_store__reader *r, const kbs_qnode *n);
std::shared_ptr<const DocSet> kept_set(kbs_store__reader *r, const kbs_qnode *filter,
				       const Xapian::Query &built);
void or_parts(kbs_store__reader *r, const kbs_qnode *n, double scale, std::vector<Xapian::Query> &v);
bool holds_phrase(const kbs_qnode *n);
Xapian::Query restrict(kbs_store__reader *r, const Xapian::Query &q, bool phrase,
		       const kbs_qnode *const *f, size_t n);

// A fresh match-all query. Xapian::Query::MatchAll is one shared static
// whose reference count is not atomic: copying it from several threads at
// once is a data race.
Xapian::Query match_all()
{
	return Xapian::Query(std::string());
}

std::vector<Xapian::Query> build_kids(kbs_store__reader *r, const kbs_qnode *n, size_t from)
{
	std::vector<Xapian::Query> v;
	v.reserve(n->nkids);
	for (size_t i = from; i < n->nkids; i++)
		v.push_back(build(r, n->kids[i]));
	return v;
}

Xapian::Query combine(kbs_store__reader *r, Xapian::Query::op op, const kbs_qnode *n)
{
	std::vector<Xapian::Query> v = build_kids(r, n, 0);
	return Xapian::Query(op, v.begin(), v.end());
}

// kids[0] OP (kids[1] OR ...): the operators that take one left-hand side.
Xapian::Query left_and_rest(kbs_store__reader *r, Xapian::Query::op op, Xapian::Query::op rest_op,
			    const kbs_qnode *n)
{
	if (n->nkids == 0)
		return Xapian::Query();
	Xapian::Query left = build(r, n->kids[0]);
	if (n->nkids == 1)
		return left;
	std::vector<Xapian::Query> rest = build_kids(r, n, 1);
	return Xapian::Query(op, left, Xapian::Query(rest_op, rest.begin(), rest.end()));
}

// Adds the weighted parts of n to v, scaled by `scale`: an OR's kids in
// its place and a scale multiplied down into its kid (see build).
void or_parts(kbs_store__reader *r, const kbs_qnode *n, double scale, std::vector<Xapian::Query> &v)
{
	if (n->op == KBS_Q_OR) {
		for (size_t i = 0; i < n->nkids; i++)
			or_parts(r, n->kids[i], scale, v);
	} else if (n->op == KBS_Q_SCALE) {
		if (n->nkids)
			or_parts(r, n->kids[0], scale * n->scale, v);
	} else {
		Xapian::Query q = build(r, n);
		v.push_back(scale == 1.0 ? q : Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q, scale));
	}
}

bool holds_phrase(const kbs_qnode *n)
{
	if (n->op == KBS_Q_PHRASE)
		return true;
	for (size_t i = 0; i < n->nkids; i++)
		if (holds_phrase(n->kids[i]))
			return true;
	return false;
}

// Adds to v, for each filter of f (an AND's kids one by one), the
// documents outside it.
void outside_of(kbs_store__reader *r, const kbs_qnode *f, std::vector<Xapian::Query> &v)
{
	if (f->op == KBS_Q_AND) {
		for (size_t i = 0; i < f->nkids; i++)
			outside_of(r, f->kids[i], v);
		return;
	}
	if (f->op == KBS_Q_KEPT && f->nkids)
		if (std::shared_ptr<const DocSet> set = kept_set(r, f->kids[0], build(r, f->kids[0]))) {
			v.push_back(Xapian::Query((new DocSetSource(set, true))->release()));
			return;
		}
	v.push_back(Xapian::Query(Xapian::Query::OP_AND_NOT, match_all(), build(r, f)));
}

// q restricted to the documents that each of the n filters f matches;
// `phrase`: q holds a phrase. Xapian 1.4 checks a phrase's positions at
// the AND or FILTER above it; for a phrase in an OR of four or more parts
// below a FILTER, it then gave the phrase's weight to documents without
// the phrase (test phrase_synonym_weighs_only_where_it_is). Such a query
// is restricted by taking away the documents outside the filters, which
// leaves the phrase's check where it is.
Xapian::Query restrict(kbs_store__reader *r, const Xapian::Query &q, bool phrase,
		       const kbs_qnode *const *f, size_t n)
{
	std::vector<Xapian::Query> v;
	for (size_t i = 0; i < n; i++) {
		if (phrase)
			outside_of(r, f[i], v);
		else
			v.push_back(build(r, f[i]));
	}
	if (v.empty())
		return q;
	if (phrase)
		return Xapian::Query(Xapian::Query::OP_AND_NOT, q,
				     Xapian::Query(Xapian::Query::OP_OR, v.begin(), v.end()));
	return Xapian::Query(Xapian::Query::OP_FILTER, q,
			     Xapian::Query(Xapian::Query::OP_AND, v.begin(), v.end()));
}

Xapian::Query build(kbs_store__reader *r, const kbs_qnode *n)
{
	switch (n->op) {
	case KBS_Q_TERM:
		return Xapian::Query(n->term, n->wqf ? n->wqf : 1);
	case KBS_Q_ALL:
		return match_all();
	case KBS_Q_OR:
	case KBS_Q_SCALE: {
		// One flat OR of every weighted part, each with the product of
		// the scales above it: s × (a OR b) weighs what (s × a) OR
		// (s × b) does, but the engine can then stop reading a long list
		// once its best possible weight cannot reach the ranking (a
		// common word's synonyms, the body list beside a word's title
		// list) on its own, where it weighed the whole group at once.
		std::vector<Xapian::Query> v;
		or_parts(r, n, 1.0, v);
		return v.size() == 1 ? v[0] : Xapian::Query(Xapian::Query::OP_OR, v.begin(), v.end());
	}
	case KBS_Q_AND:
		return combine(r, Xapian::Query::OP_AND, n);
	case KBS_Q_SYNONYM:
		return combine(r, Xapian::Query::OP_SYNONYM, n);
	case KBS_Q_AND_NOT:
		return left_and_rest(r, Xapian::Query::OP_AND_NOT, Xapian::Query::OP_OR, n);
	case KBS_Q_AND_MAYBE:
		return left_and_rest(r, Xapian::Query::OP_AND_MAYBE, Xapian::Query::OP_OR, n);
	case KBS_Q_FILTER:
		if (n->nkids == 0)
			return Xapian::Query();
		return restrict(r, build(r, n->kids[0]), holds_phrase(n->kids[0]), n->kids + 1,
				n->nkids - 1);
	case KBS_Q_PHRASE: {
		std::vector<Xapian::Query> v = build_kids(r, n, 0);
		return Xapian::Query(Xapian::Query::OP_PHRASE, v.begin(), v.end(), n->window);
	}
	case KBS_Q_WILDCARD:
		return Xapian::Query(Xapian::Query::OP_WILDCARD, n->term,
				     n->max_expansion ? n->max_expansion : 50,
				     Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
				     Xapian::Query::OP_SYNONYM);
	case KBS_Q_CONST:
		// release(): the query owns the source and deletes it.
		return Xapian::Query((new Xapian::FixedWeightPostingSource(n->scale))->release());
	case KBS_Q_KEPT: {
		if (n->nkids == 0)
			return Xapian::Query();
		Xapian::Query f = build(r, n->kids[0]);
		std::shared_ptr<const DocSet> set = kept_set(r, n->kids[0], f);
		// release(): the query owns the source and deletes it.
		return set ? Xapian::Query((new DocSetSource(set, false))->release()) : f;
	}
	}
	return Xapian::Query();
}

// The docid of the document indexed by idterm, or 0.
Xapian::docid find_doc(const Xapian::Database &db, const char *idterm)
{
	Xapian::PostingIterator p = db.postlist_begin(idterm);
	return p == db.postlist_end(idterm) ? 0 : *p;
}

} // namespace

// ---- stemming ----

struct kbs_store__stemmer {
	Xapian::Stem stem;
};

extern "C" bool kbs_store__has_stemmer(const char *lang)
{
	try {
		if (!lang || !*lang)
			return false;
		Xapian::Stem s(lang);
		return !s.is_none();
	} catch (...) {
		return false;
	}
}

extern "C" kbs_status kbs_store__stemmer_new(kbs_store__stemmer **out, const char *lang,
					     kbs_err *err)
{
	*out = nullptr;
	try {
		if (!kbs_store__has_stemmer(lang))
			return kbs_err__set(err, KBS_ENOTFOUND, "no stemmer for language '%s'",
					    lang ? lang : "");
		kbs_store__stemmer *s = new (std::nothrow) kbs_store__stemmer;
		if (!s)
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		try {
			s->stem = Xapian::Stem(lang);
		} catch (...) {
			delete s;
			throw;
		}
		*out = s;
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" void kbs_store__stemmer_free(kbs_store__stemmer *s)
{
	delete s;
}

extern "C" char *kbs_store__stem(kbs_store__stemmer *s, const char *word, size_t len)
{
	try {
		return dup_string(s->stem(std::string(word, len)));
	} catch (...) {
		return nullptr;
	}
}

// ---- reading ----

namespace {

// The terms of the index by bucket, for one revision, shared by every
// reader of a knowledge base. A bucket is a term prefix (the uppercase
// letters of a Xapian prefix) and the first character after it: every
// term of the index that a close spelling or a completion of a word could
// be. Walking a bucket in the engine crosses every posting list chunk
// filed between its terms (2 us a term at 100k articles: 2 ms for the
// words beginning with "c"); held here, it is a sorted array.
struct Vocabulary {
	struct entry {
		std::string term;
		Xapian::doccount freq;
	};
	using bucket = std::vector<entry>;

	explicit Vocabulary(Xapian::rev rev) : rev(rev) {}
	const Xapian::rev rev;

	// The bucket `key` of db (at this revision), read once.
	std::shared_ptr<const bucket> get(const Xapian::Database &db, const std::string &key)
	{
		{
			std::lock_guard<std::mutex> hold(m);
			auto it = buckets.find(key);
			if (it != buckets.end())
				return it->second;
		}
		auto b = std::make_shared<bucket>();
		for (Xapian::TermIterator t = db.allterms_begin(key); t != db.allterms_end(key); ++t)
			b->push_back({ *t, t.get_termfreq() });
		std::lock_guard<std::mutex> hold(m);
		return buckets.emplace(key, std::move(b)).first->second;
	}

    private:
	std::mutex m;
	std::unordered_map<std::string, std::shared_ptr<const bucket>> buckets;
};

// What callers derive from one revision (kbs_store__derived), by key.
struct Derived {
	explicit Derived(Xapian::rev rev) : rev(rev) {}
	const Xapian::rev rev;
	std::mutex m;
	std::unordered_map<std::string, std::shared_ptr<void>> objs;
};

// The bucket of `prefix`: its uppercase letters and the next character,
// or "" when nothing follows them (a walk of every term of a family,
// such as the languages, is short and not kept).
std::string bucket_of(const char *prefix)
{
	size_t n = 0;
	while (prefix[n] >= 'A' && prefix[n] <= 'Z')
		n++;
	if (!prefix[n])
		return std::string();
	return std::string(prefix, n + kbs_utf8_prefix(prefix + n, std::strlen(prefix + n), 1));
}

} // namespace

struct kbs_store__shared {
	std::mutex m;
	std::shared_ptr<FacetTable> facets;     // for the newest revision met
	std::shared_ptr<Vocabulary> vocabulary; // likewise
	std::shared_ptr<KeptSets> kept;         // likewise
	std::shared_ptr<Derived> derived;       // likewise

	// What `slot` holds for db's revision: the shared one, or a new shared
	// one when db is the first reader at a newer revision; NULL for a
	// reader still at an older revision.
	template <class T, class... Args>
	std::shared_ptr<T> newest(std::shared_ptr<T> &slot, const Xapian::Database &db, Args... args)
	{
		Xapian::rev rev = db.get_revision();
		std::lock_guard<std::mutex> hold(m);
		if (!slot || slot->rev < rev)
			slot = std::make_shared<T>(rev, args...);
		return slot->rev == rev ? slot : nullptr;
	}

	// The same, with one of its own for a reader at an older revision.
	template <class T, class... Args>
	std::shared_ptr<T> at_revision(std::shared_ptr<T> &slot, const Xapian::Database &db,
				       Args... args)
	{
		std::shared_ptr<T> s = newest(slot, db, args...);
		return s ? s : std::make_shared<T>(db.get_revision(), args...);
	}
};

extern "C" kbs_store__shared *kbs_store__shared_new(void)
{
	return new (std::nothrow) kbs_store__shared;
}

extern "C" void kbs_store__shared_free(kbs_store__shared *s)
{
	delete s;
}

struct kbs_store__reader {
	Xapian::Database db;
	kbs_store__shared *shared;
};

extern "C" kbs_status kbs_store__reader_open(kbs_store__reader **out, const char *dir,
					     kbs_store__shared *shared, kbs_err *err)
{
	*out = nullptr;
	kbs_store__reader *r = new (std::nothrow) kbs_store__reader;
	if (!r)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	try {
		// Opening reads the newest revision: a commit overwriting it
		// meanwhile explains one failure, not two in a row.
		try {
			r->db = Xapian::Database(dir);
		} catch (const Xapian::DatabaseModifiedError &) {
			r->db = Xapian::Database(dir);
		}
		r->shared = shared;
		*out = r;
		return KBS_OK;
	} catch (const Xapian::DatabaseModifiedError &e) {
		delete r;
		return kbs_err__set(err, KBS_EIO, "the index is damaged: %s", e.get_msg().c_str());
	} catch (...) {
		delete r;
		return store_error(err);
	}
}

extern "C" bool kbs_store__reader_behind(kbs_store__reader *r)
{
	try {
		return r->db.reopen();
	} catch (...) {
		return false; // unreadable at its newest revision: damaged
	}
}

extern "C" void kbs_store__reader_free(kbs_store__reader *r)
{
	try {
		delete r;
	} catch (...) {
		// A destructor that throws has nothing left to release.
	}
}

extern "C" kbs_status kbs_store__reader_refresh(kbs_store__reader *r, kbs_err *err)
{
	try {
		r->db.reopen();
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" uint64_t kbs_store__doccount(kbs_store__reader *r)
{
	try {
		return r->db.get_doccount();
	} catch (...) {
		return 0;
	}
}

extern "C" uint64_t kbs_store__termfreq(kbs_store__reader *r, const char *term)
{
	try {
		return r->db.get_termfreq(term);
	} catch (...) {
		return 0;
	}
}

extern "C" uint64_t kbs_store__termfreq_both(kbs_store__reader *r, const char *a, const char *b,
					   uint64_t scan_max)
{
	try {
		uint64_t fa = r->db.get_termfreq(a), fb = r->db.get_termfreq(b);
		if (!fa || !fb)
			return 0;
		/* Walk the rarer posting list, skipping along the other, or
		 * looking its documents up in b's kept set (b is a term many
		 * calls share, such as a language). */
		std::string rare = fa <= fb ? a : b, common = fa <= fb ? b : a;
		uint64_t rare_df = fa <= fb ? fa : fb;
		kbs_qnode term{};
		term.op = KBS_Q_TERM;
		term.term = b;
		std::shared_ptr<const DocSet> set = fa <= fb ? kept_set(r, &term, Xapian::Query(b, 1)) : nullptr;
		Xapian::PostingIterator p = r->db.postlist_begin(rare), pe = r->db.postlist_end(rare);
		Xapian::PostingIterator q, qe;
		if (!set)
			q = r->db.postlist_begin(common), qe = r->db.postlist_end(common);
		uint64_t both = 0, seen = 0;
		bool ended = false; /* b has no document from here on */
		for (; p != pe && seen < scan_max; ++p, ++seen) {
			if (set) {
				if ((ended = *p > set->last()))
					break;
				both += set->has(*p);
				continue;
			}
			q.skip_to(*p);
			if ((ended = q == qe))
				break;
			both += *q == *p;
		}
		if (p != pe && !ended && seen > 0) /* stopped at scan_max: extrapolate */
			both = both * rare_df / seen;
		return both;
	} catch (...) {
		return 0;
	}
}

extern "C" kbs_status kbs_store__get_data(kbs_store__reader *r, const char *idterm, char **out,
					  size_t *len, kbs_err *err)
{
	*out = nullptr;
	if (len)
		*len = 0;
	try {
		Xapian::docid did = find_doc(r->db, idterm);
		if (!did)
			return kbs_err__set(err, KBS_ENOTFOUND, "no such article");
		std::string data = r->db.get_document(did).get_data();
		*out = dup_string(data);
		if (len)
			*len = data.size();
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__doc_has_term(kbs_store__reader *r, const char *idterm,
					      const char *term, bool *out, kbs_err *err)
{
	*out = false;
	try {
		Xapian::docid did = find_doc(r->db, idterm);
		if (!did)
			return kbs_err__set(err, KBS_ENOTFOUND, "no such article");
		Xapian::TermIterator t = r->db.termlist_begin(did);
		t.skip_to(term);
		*out = t != r->db.termlist_end(did) && *t == term;
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

namespace {

kbs_status walk_terms(const Xapian::Database &db, const char *prefix,
		      kbs_status (*cb)(const char *, uint64_t, void *), void *payload)
{
	for (Xapian::TermIterator t = db.allterms_begin(prefix); t != db.allterms_end(prefix); ++t) {
		kbs_status rc = cb((*t).c_str(), t.get_termfreq(), payload);
		if (rc == KBS_STOP)
			break;
		if (rc != KBS_OK)
			return rc;
	}
	return KBS_OK;
}

} // namespace

extern "C" kbs_status kbs_store__walk_terms(kbs_store__reader *r, const char *prefix,
					    kbs_status (*cb)(const char *, uint64_t, void *),
					    void *payload, kbs_err *err)
{
	try {
		return walk_terms(r->db, prefix, cb, payload);
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__each_term(kbs_store__reader *r, const char *prefix,
					   kbs_status (*cb)(const char *, uint64_t, void *),
					   void *payload, kbs_err *err)
{
	try {
		std::string key = bucket_of(prefix);
		if (key.empty())
			return walk_terms(r->db, prefix, cb, payload);
		std::shared_ptr<const Vocabulary::bucket> b =
			r->shared->at_revision(r->shared->vocabulary, r->db)->get(r->db, key);
		std::string_view want(prefix);
		auto it = std::lower_bound(b->begin(), b->end(), want,
					   [](const Vocabulary::entry &e, std::string_view p) {
						   return std::string_view(e.term) < p;
					   });
		for (; it != b->end() && std::string_view(it->term).substr(0, want.size()) == want; ++it) {
			kbs_status rc = cb(it->term.c_str(), it->freq, payload);
			if (rc == KBS_STOP)
				break;
			if (rc != KBS_OK)
				return rc;
		}
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

struct kbs_store__derived_ref {
	std::shared_ptr<void> obj;
};

extern "C" kbs_status kbs_store__derived(kbs_store__reader *r, const char *key,
					 kbs_status (*make)(void *arg, void **obj, kbs_err *err),
					 void (*release)(void *obj), void *arg, const void **out,
					 kbs_store__derived_ref **ref, kbs_err *err)
{
	*out = nullptr;
	*ref = nullptr;
	try {
		std::shared_ptr<Derived> d = r->shared->at_revision(r->shared->derived, r->db);
		std::shared_ptr<void> obj;
		{
			std::lock_guard<std::mutex> hold(d->m);
			auto it = d->objs.find(key);
			if (it != d->objs.end())
				obj = it->second;
		}
		if (!obj) {
			void *made = nullptr;
			kbs_status rc = make(arg, &made, err);
			if (rc != KBS_OK)
				return rc;
			obj = std::shared_ptr<void>(made, release); // releases it if this throws
			std::lock_guard<std::mutex> hold(d->m);
			obj = d->objs.emplace(key, obj).first->second;
		}
		*ref = new kbs_store__derived_ref{ obj };
		*out = obj.get();
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" void kbs_store__derived_put(kbs_store__derived_ref *ref)
{
	delete ref;
}

extern "C" void kbs_store__result_free(kbs_store__result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nhits; i++) {
		std::free(res->hits[i].data);
		for (size_t j = 0; j < res->hits[i].nterms; j++)
			std::free(res->hits[i].terms[j]);
		std::free(res->hits[i].terms);
	}
	std::free(res->hits);
	for (size_t i = 0; i < res->nfacets; i++)
		std::free(res->facets[i].label);
	std::free(res->facets);
	std::memset(res, 0, sizeof *res);
}

namespace {

// Each hit's terms among the query's and the probes, read from posting
// lists: every term's list is walked once, in docid order, skipping to each
// hit (see kbs_store__search_req.matching_terms).
void matching_terms(const Xapian::Database &db, const Xapian::Query &q,
		    const kbs_store__search_req *req, kbs_store__result *out)
{
	std::vector<std::string> terms(q.get_unique_terms_begin(), q.get_unique_terms_end());
	for (size_t i = 0; i < req->nprobe; i++)
		if (req->probe[i])
			terms.emplace_back(req->probe[i]);
	std::vector<size_t> order(out->nhits);
	for (size_t i = 0; i < order.size(); i++)
		order[i] = i;
	std::sort(order.begin(), order.end(),
		  [out](size_t a, size_t b) { return out->hits[a].docid < out->hits[b].docid; });
	std::vector<std::vector<const std::string *>> found(out->nhits);
	for (const std::string &t : terms) {
		if (t.empty())
			continue; // match-all
		Xapian::PostingIterator p = db.postlist_begin(t), end = db.postlist_end(t);
		for (size_t i : order) {
			if (p == end)
				break;
			p.skip_to(out->hits[i].docid);
			if (p != end && *p == out->hits[i].docid)
				found[i].push_back(&t);
		}
	}
	for (size_t i = 0; i < out->nhits; i++) {
		kbs_store__hit *h = &out->hits[i];
		if (found[i].empty())
			continue;
		h->terms = static_cast<char **>(std::calloc(found[i].size(), sizeof *h->terms));
		if (!h->terms)
			throw std::bad_alloc();
		for (const std::string *t : found[i])
			h->terms[h->nterms++] = dup_string(*t);
	}
}

// The count pass (the total and the facets) looks at up to thousands of
// matches in docid order, unweighted. Xapian's matcher pays, at each
// match, a walk down the query's tree of posting lists and a Document for
// the match spy. The Counter evaluates the same tree a window of docids at
// a time, as bitmaps: each term's posting list is read once, in order, and
// an operator is a loop over the window's words.
class Counter {
    public:
	// A query tree the Counter evaluates; NULL for one it does not (a
	// wildcard: the engine expands it).
	static std::unique_ptr<Counter> of(kbs_store__reader *r, const kbs_qnode *query,
					   const kbs_qnode *filter)
	{
		std::unique_ptr<Counter> c(new Counter(r));
		auto root = std::make_unique<Node>(Node::ALL_OF);
		for (const kbs_qnode *n : { query, filter }) {
			if (!n)
				continue;
			std::unique_ptr<Node> kid = c->node(n);
			if (!kid)
				return nullptr;
			root->kids.push_back(std::move(kid));
		}
		if (root->kids.empty())
			root->kids.push_back(postings(r->db, std::string()));
		c->root = std::move(root);
		return c;
	}

	// Counts the matches, each of the first `at_least` with `spy`; returns
	// their number, exact when at most at_least, else an estimate: the
	// count so far scaled by the share of docids read, as if matches were
	// spread evenly over docids (as counting facets on the first matches
	// supposes already).
	Xapian::doccount run(FacetSpy &spy, Xapian::doccount at_least)
	{
		const Xapian::docid last = r->db.get_lastdocid();
		Xapian::doccount n = 0;
		double estimate = -1;
		windows([&](uint64_t lo, const uint64_t *bits) {
			for (size_t i = 0; i < WORDS; i++) {
				for (uint64_t w = bits[i]; w; w &= w - 1) {
					auto did = static_cast<Xapian::docid>(lo + i * 64 +
									      static_cast<uint64_t>(__builtin_ctzll(w)));
					if (n == at_least) { // one more: the count goes on
						estimate = static_cast<double>(n) * last / did;
						return false;
					}
					n++;
					spy(r->db, did);
				}
			}
			return true;
		});
		if (estimate < 0)
			return n;
		double docs = r->db.get_doccount();
		estimate = estimate < docs ? estimate : docs;
		return estimate > n ? static_cast<Xapian::doccount>(estimate) : n + 1;
	}

	// Calls f(lo, bits) with the matches among docids [lo, lo + 64 * WORDS)
	// (bit j of bits[i]: docid lo + 64 i + j), window after window, while
	// f returns true.
	template <class F> void windows(F f)
	{
		const Xapian::docid last = r->db.get_lastdocid();
		for (uint64_t lo = 0; lo <= last; lo += WINDOW) {
			eval(*root, lo);
			if (!f(lo, static_cast<const uint64_t *>(root->bits)))
				return;
		}
	}

	static constexpr size_t WORDS = 64;

    private:
	static constexpr uint64_t WINDOW = WORDS * 64; // docids; 64-bit: no wrap past the last

	struct Node {
		enum Kind { POSTINGS, SET, ANY, ALL_OF, BUT, PHRASE } kind;
		explicit Node(Kind k) : kind(k) {}
		std::vector<std::unique_ptr<Node>> kids;
		Xapian::PostingIterator it, end;   // POSTINGS
		std::shared_ptr<const DocSet> set; // SET
		std::vector<std::string> terms;    // PHRASE: its words, kids their postings
		uint64_t bits[WORDS];              // the current window
	};

	explicit Counter(kbs_store__reader *r) : r(r) {}

	static std::unique_ptr<Node> postings(const Xapian::Database &db, const std::string &term)
	{
		auto n = std::make_unique<Node>(Node::POSTINGS);
		n->it = db.postlist_begin(term);
		n->end = db.postlist_end(term);
		return n;
	}

	// Adds to v the kids of an OR-like node (weighed apart, matched
	// alike), and to terms its plain terms.
	bool any_parts(const kbs_qnode *n, std::vector<std::unique_ptr<Node>> &v,
		       std::set<std::string> &terms)
	{
		if (n->op == KBS_Q_OR || n->op == KBS_Q_SCALE || n->op == KBS_Q_SYNONYM) {
			for (size_t i = 0; i < n->nkids; i++)
				if (!any_parts(n->kids[i], v, terms))
					return false;
			return true;
		}
		if (n->op == KBS_Q_TERM) {
			terms.insert(n->term);
			return true;
		}
		std::unique_ptr<Node> kid = node(n);
		if (!kid)
			return false;
		v.push_back(std::move(kid));
		return true;
	}

	// Whether the documents of `term` are among those of another of
	// `terms`: a title or tag stem beside the same stem (store.h).
	static bool covered(const std::string &term, const std::set<std::string> &terms)
	{
		static const std::string title = KBS_PFX_TITLE, tag = KBS_PFX_TAG_STEM, stem = KBS_PFX_STEM;
		for (const std::string *p : { &title, &tag })
			if (term.compare(0, p->size(), *p) == 0 && terms.count(stem + term.substr(p->size())))
				return true;
		return false;
	}

	std::unique_ptr<Node> node(const kbs_qnode *n)
	{
		switch (n->op) {
		case KBS_Q_TERM:
			return postings(r->db, n->term);
		case KBS_Q_ALL:
		case KBS_Q_CONST: // a constant weight for every document
			return postings(r->db, std::string());
		case KBS_Q_OR:
		case KBS_Q_SCALE:
		case KBS_Q_SYNONYM: {
			auto any = std::make_unique<Node>(Node::ANY);
			std::set<std::string> terms;
			if (!any_parts(n, any->kids, terms))
				return nullptr;
			for (const std::string &t : terms)
				if (!covered(t, terms))
					any->kids.push_back(postings(r->db, t));
			return any;
		}
		case KBS_Q_AND:
		case KBS_Q_FILTER: { // a filter is an AND that does not weigh
			auto all = std::make_unique<Node>(Node::ALL_OF);
			for (size_t i = 0; i < n->nkids; i++) {
				std::unique_ptr<Node> kid = node(n->kids[i]);
				if (!kid)
					return nullptr;
				all->kids.push_back(std::move(kid));
			}
			return all;
		}
		case KBS_Q_AND_NOT: {
			if (!n->nkids)
				return std::make_unique<Node>(Node::ANY); // nothing
			auto but = std::make_unique<Node>(Node::BUT);
			auto rest = std::make_unique<Node>(Node::ANY);
			std::unique_ptr<Node> left = node(n->kids[0]);
			for (size_t i = 1; left && i < n->nkids; i++) {
				std::unique_ptr<Node> kid = node(n->kids[i]);
				if (!kid)
					return nullptr;
				rest->kids.push_back(std::move(kid));
			}
			if (!left)
				return nullptr;
			but->kids.push_back(std::move(left));
			but->kids.push_back(std::move(rest));
			return but;
		}
		case KBS_Q_AND_MAYBE: // what it may add weighs, it matches nothing
			return n->nkids ? node(n->kids[0]) : std::make_unique<Node>(Node::ANY);
		case KBS_Q_KEPT: {
			if (!n->nkids)
				return std::make_unique<Node>(Node::ANY);
			std::shared_ptr<const DocSet> set = kept_set(r, n->kids[0], build(r, n->kids[0]));
			if (!set)
				return node(n->kids[0]);
			auto kept = std::make_unique<Node>(Node::SET);
			kept->set = std::move(set);
			return kept;
		}
		case KBS_Q_PHRASE: {
			// Each word at the position after the one before (window 0:
			// as many positions as words), as Xapian's exact phrase.
			if (n->window && n->window != n->nkids)
				return nullptr;
			if (n->nkids == 1) // the engine's phrase of one word is the word
				return node(n->kids[0]);
			auto ph = std::make_unique<Node>(Node::PHRASE);
			for (size_t i = 0; i < n->nkids; i++) {
				if (n->kids[i]->op != KBS_Q_TERM)
					return nullptr;
				ph->terms.emplace_back(n->kids[i]->term);
				ph->kids.push_back(postings(r->db, ph->terms.back()));
			}
			return ph;
		}
		case KBS_Q_WILDCARD:
			return nullptr;
		}
		return nullptr;
	}

	// Fills n.bits with the matches among docids [lo, lo + WINDOW).
	void eval(Node &n, uint64_t lo)
	{
		const uint64_t hi = lo + WINDOW;
		switch (n.kind) {
		case Node::POSTINGS:
			std::memset(n.bits, 0, sizeof n.bits);
			if (n.it != n.end && *n.it < lo)
				n.it.skip_to(static_cast<Xapian::docid>(lo));
			for (; n.it != n.end && *n.it < hi; ++n.it) {
				uint64_t d = *n.it - lo;
				n.bits[d / 64] |= uint64_t{ 1 } << (d % 64);
			}
			return;
		case Node::SET:
			for (size_t i = 0; i < WORDS; i++)
				n.bits[i] = n.set->word(lo / 64 + i);
			return;
		case Node::ANY:
			std::memset(n.bits, 0, sizeof n.bits);
			for (auto &k : n.kids) {
				eval(*k, lo);
				for (size_t i = 0; i < WORDS; i++)
					n.bits[i] |= k->bits[i];
			}
			return;
		case Node::ALL_OF:
		case Node::PHRASE:
		case Node::BUT: {
			bool first = true, none = false;
			for (auto &k : n.kids) {
				if (none) {
					skip(*k, hi); // keep its lists in step
					continue;
				}
				eval(*k, lo);
				uint64_t left = 0;
				for (size_t i = 0; i < WORDS; i++) {
					n.bits[i] = first ? k->bits[i]
						    : n.kind == Node::BUT ? n.bits[i] & ~k->bits[i]
									  : n.bits[i] & k->bits[i];
					left |= n.bits[i];
				}
				first = false;
				none = !left;
			}
			if (first)
				std::memset(n.bits, 0, sizeof n.bits);
			if (n.kind == Node::PHRASE && !none)
				phrases(n, lo);
			return;
		}
		}
	}

	// Moves n's posting lists past docid hi - 1 without reading what lies
	// before: a window an AND already emptied.
	static void skip(Node &n, uint64_t hi)
	{
		if (n.kind == Node::POSTINGS && n.it != n.end && *n.it < hi) {
			if (hi > std::numeric_limits<Xapian::docid>::max())
				n.it = n.end;
			else
				n.it.skip_to(static_cast<Xapian::docid>(hi));
		}
		for (auto &k : n.kids)
			skip(*k, hi);
	}

	// Keeps the documents of n.bits that hold n's words as a phrase.
	void phrases(Node &n, uint64_t lo)
	{
		for (size_t i = 0; i < WORDS; i++)
			for (uint64_t w = n.bits[i]; w; w &= w - 1) {
				int b = __builtin_ctzll(w);
				auto did = static_cast<Xapian::docid>(lo + i * 64 + static_cast<size_t>(b));
				if (!phrase_in(n.terms, did))
					n.bits[i] &= ~(uint64_t{ 1 } << b);
			}
	}

	bool phrase_in(const std::vector<std::string> &terms, Xapian::docid did) const
	{
		std::vector<Xapian::PositionIterator> at, end;
		for (const std::string &t : terms) {
			at.push_back(r->db.positionlist_begin(did, t));
			end.push_back(r->db.positionlist_end(did, t));
		}
		for (; at[0] != end[0]; ++at[0]) {
			Xapian::termpos p = *at[0];
			size_t k = 1;
			for (; k < terms.size(); k++) {
				at[k].skip_to(p + static_cast<Xapian::termpos>(k));
				if (at[k] == end[k])
					return false;
				if (*at[k] != p + k)
					break;
			}
			if (k == terms.size())
				return true;
		}
		return false;
	}

	kbs_store__reader *r;
	std::unique_ptr<Node> root;
};

// The kept set of `filter` (built: its engine query, which names it), or
// NULL: then filter by its terms. A reader behind the newest revision gets
// none rather than make a set for one search.
std::shared_ptr<const DocSet> kept_set(kbs_store__reader *r, const kbs_qnode *filter,
				       const Xapian::Query &built)
{
	std::shared_ptr<KeptSets> sets = r->shared->newest(r->shared->kept, r->db);
	if (!sets)
		return nullptr;
	return sets->get(built.get_description(), [&]() -> std::shared_ptr<const DocSet> {
		std::unique_ptr<Counter> c = Counter::of(r, filter, nullptr);
		if (!c)
			return nullptr;
		auto set = std::make_shared<DocSet>(r->db.get_lastdocid());
		c->windows([&](uint64_t lo, const uint64_t *bits) {
			for (size_t i = 0; i < Counter::WORDS; i++)
				set->add(static_cast<size_t>(lo / 64) + i, bits[i]);
			return true;
		});
		return set;
	});
}

} // namespace

extern "C" kbs_status kbs_store__hit_data(kbs_store__reader *r, uint32_t docid, char **out,
					  size_t *len, kbs_err *err)
{
	*out = nullptr;
	*len = 0;
	try {
		std::string data = r->db.get_document(docid).get_data();
		*out = dup_string(data);
		*len = data.size();
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__search(kbs_store__reader *r, const kbs_store__search_req *req,
					kbs_store__result *out, kbs_err *err)
{
	std::memset(out, 0, sizeof *out);
	try {
		Xapian::Query q = req->query ? build(r, req->query) : match_all();
		if (req->filter)
			q = restrict(r, q, req->query && holds_phrase(req->query), &req->filter, 1);
		Xapian::Enquire enq(r->db);
		enq.set_query(q);
		if (req->sort_by_updated)
			enq.set_sort_by_value_then_relevance(KBS_SLOT_UPDATED, true);
		if (req->unranked) {
			enq.set_weighting_scheme(Xapian::BoolWeight());
			enq.set_docid_order(Xapian::Enquire::ASCENDING);
		}
		// Facets and the total are counted by a second, unweighted pass
		// over the same matches (Counter): weighing thousands of matches
		// for a count would stop the ranked pass from skipping what
		// cannot reach the top.
		bool counting = req->facets || req->count_only;
		std::shared_ptr<FacetTable> table;
		if (counting)
			table = r->shared->at_revision(r->shared->facets, r->db, r->db.get_lastdocid());
		FacetSpy spy(table.get()); // added to the count below, with a table
		Xapian::MSet mset;
		if (!req->count_only) {
			mset = enq.get_mset(static_cast<Xapian::doccount>(req->offset),
					    static_cast<Xapian::doccount>(req->limit),
					    static_cast<Xapian::doccount>(req->facets ? 0 : req->check_at_least));
			out->estimate = mset.get_matches_estimated();
			out->max_possible = mset.get_max_possible();
		}
		// Fewer matches than asked for: the ranked pass saw them all,
		// so they are counted from it, without a second pass (most
		// searches of a help center's few hundred articles).
		bool all_seen = counting && !req->count_only && req->offset == 0 &&
				mset.size() < req->limit;
		if (all_seen) {
			for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it)
				spy(it.get_document(), 0);
			out->estimate = mset.size();
		} else if (counting) {
			auto at_least = static_cast<Xapian::doccount>(req->check_at_least);
			if (std::unique_ptr<Counter> c = Counter::of(r, req->query, req->filter)) {
				out->estimate = c->run(spy, at_least);
			} else {
				Xapian::Enquire count(r->db);
				count.set_query(q);
				count.set_weighting_scheme(Xapian::BoolWeight());
				count.add_matchspy(&spy);
				out->estimate = count.get_mset(0, 0, at_least).get_matches_estimated();
			}
		}
		if (mset.size()) {
			out->hits = static_cast<kbs_store__hit *>(
				std::calloc(mset.size(), sizeof *out->hits));
			if (!out->hits)
				throw std::bad_alloc();
		}
		for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
			kbs_store__hit *h = &out->hits[out->nhits++];
			h->docid = *it;
			h->weight = it.get_weight();
			if (req->no_data)
				continue;
			std::string data = req->data_slot
						   ? it.get_document().get_value(req->data_slot - 1)
						   : it.get_document().get_data();
			h->data = dup_string(data);
			h->data_len = data.size();
		}
		if (req->matching_terms && out->nhits)
			matching_terms(r->db, q, req, out);
		if (counting && !spy.seen.empty()) {
			std::vector<std::pair<std::string, Xapian::doccount>> v;
			v.reserve(spy.seen.size());
			for (uint32_t id : spy.seen)
				v.emplace_back(table->label(id), spy.counts[id]);
			std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
				return a.second != b.second ? a.second > b.second : a.first < b.first;
			});
			out->facets = static_cast<kbs_store__facet *>(
				std::calloc(v.size(), sizeof *out->facets));
			if (!out->facets)
				throw std::bad_alloc();
			for (const auto &p : v) {
				out->facets[out->nfacets].label = dup_string(p.first);
				out->facets[out->nfacets].count = p.second;
				out->nfacets++;
			}
		}
		return KBS_OK;
	} catch (...) {
		kbs_store__result_free(out);
		return store_error(err);
	}
}

// ---- documents ----

struct kbs_store__doc {
	Xapian::Document doc;
};

extern "C" kbs_store__doc *kbs_store__doc_new(void)
{
	try {
		return new kbs_store__doc;
	} catch (...) {
		return nullptr;
	}
}

extern "C" void kbs_store__doc_free(kbs_store__doc *d)
{
	delete d;
}

extern "C" bool kbs_store__doc_term(kbs_store__doc *d, const char *term, unsigned wdf)
{
	try {
		d->doc.add_term(term, wdf);
		return true;
	} catch (...) {
		return false;
	}
}

extern "C" bool kbs_store__doc_posting(kbs_store__doc *d, const char *term, unsigned pos,
				       unsigned wdf)
{
	try {
		d->doc.add_posting(term, pos, wdf);
		return true;
	} catch (...) {
		return false;
	}
}

extern "C" bool kbs_store__doc_boolean(kbs_store__doc *d, const char *term)
{
	try {
		d->doc.add_boolean_term(term);
		return true;
	} catch (...) {
		return false;
	}
}

extern "C" bool kbs_store__doc_value(kbs_store__doc *d, unsigned slot, const char *v, size_t len)
{
	try {
		d->doc.add_value(slot, std::string(v, len));
		return true;
	} catch (...) {
		return false;
	}
}

extern "C" bool kbs_store__doc_data(kbs_store__doc *d, const char *v, size_t len)
{
	try {
		d->doc.set_data(std::string(v, len));
		return true;
	} catch (...) {
		return false;
	}
}

// ---- writing ----

struct kbs_store__writer {
	Xapian::WritableDatabase db;
	bool in_transaction = false;
	std::string dir;
	std::string bulk_dir; // set in bulk mode: where the shards are
};

namespace {

int remove_entry(const char *path, const struct stat *, int type, struct FTW *)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

// Removes a directory and everything under it (best effort: what is left
// is cleaned up by the next writer).
void remove_tree(const std::string &path)
{
	(void)nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

// Bulk directories left by a writer that died before cleaning up: under the
// lock, no live writer can own one.
void remove_stale_bulk(const std::string &dir)
{
	std::string::size_type slash = dir.rfind('/');
	std::string parent = slash == std::string::npos ? "." : dir.substr(0, slash);
	std::string stem = (slash == std::string::npos ? dir : dir.substr(slash + 1)) + ".bulk-";
	DIR *d = opendir(parent.c_str());
	if (!d)
		return;
	std::vector<std::string> stale;
	while (struct dirent *e = readdir(d))
		if (std::strncmp(e->d_name, stem.c_str(), stem.size()) == 0)
			stale.push_back(parent + "/" + e->d_name);
	closedir(d);
	for (const std::string &p : stale)
		remove_tree(p);
}

} // namespace

extern "C" kbs_status kbs_store__writer_open(kbs_store__writer **out, const char *dir,
					     bool create, kbs_err *err)
{
	*out = nullptr;
	kbs_store__writer *w = new (std::nothrow) kbs_store__writer;
	if (!w)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	try {
		w->dir = dir;
		w->db = Xapian::WritableDatabase(dir, create ? Xapian::DB_CREATE_OR_OPEN
							     : Xapian::DB_OPEN);
		remove_stale_bulk(w->dir);
		// One transaction per batch: Xapian's automatic flushes are held
		// back, so readers and a crash only ever see whole batches.
		w->db.begin_transaction(true);
		w->in_transaction = true;
		*out = w;
		return KBS_OK;
	} catch (...) {
		delete w;
		return store_error(err);
	}
}

extern "C" void kbs_store__writer_free(kbs_store__writer *w)
{
	if (!w)
		return;
	try {
		if (w->in_transaction)
			w->db.cancel_transaction();
	} catch (...) {
		// Nothing was committed; the old revision stays on disk.
	}
	try {
		w->db.close();
	} catch (...) {
	}
	if (!w->bulk_dir.empty())
		remove_tree(w->bulk_dir);
	delete w;
}

extern "C" kbs_status kbs_store__writer_replace(kbs_store__writer *w, const char *idterm,
						kbs_store__doc *d, bool *existed, kbs_err *err)
{
	try {
		*existed = w->db.term_exists(idterm);
		d->doc.add_boolean_term(idterm);
		w->db.replace_document(idterm, d->doc);
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__writer_delete(kbs_store__writer *w, const char *idterm,
					       bool *existed, kbs_err *err)
{
	try {
		*existed = w->db.term_exists(idterm);
		if (*existed)
			w->db.delete_document(idterm);
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__writer_value(kbs_store__writer *w, const char *idterm,
					      unsigned slot, char **out, kbs_err *err)
{
	*out = nullptr;
	try {
		Xapian::docid did = find_doc(w->db, idterm);
		if (did)
			*out = dup_string(w->db.get_document(did).get_value(slot));
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__writer_each(kbs_store__writer *w, unsigned slot,
					     kbs_status (*cb)(const char *, const char *, void *),
					     void *payload, kbs_err *err)
{
	try {
		// Collected first: the callback may delete documents.
		std::vector<std::pair<std::string, std::string>> all;
		for (Xapian::TermIterator t = w->db.allterms_begin(KBS_PFX_ID);
		     t != w->db.allterms_end(KBS_PFX_ID); ++t) {
			Xapian::docid did = find_doc(w->db, (*t).c_str());
			if (did)
				all.emplace_back(*t, w->db.get_document(did).get_value(slot));
		}
		for (const auto &p : all) {
			kbs_status rc = cb(p.first.c_str(), p.second.c_str(), payload);
			if (rc == KBS_STOP)
				break;
			if (rc != KBS_OK)
				return rc;
		}
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

namespace {

// Documents a shard takes between two commits. A commit merges the
// buffered postings into the shard's tables. The buffers are maps keyed by
// term, then by docid, whose lookups miss the cache more with every
// document they hold: they were a third of the indexing time at Xapian's
// default of 10 000 documents. Measured on 10 000 generated articles of
// ~260 words (CPU seconds): 20 000: 28; 2000: 15; 800: 15; 300: 12.5;
// 128: 10.5; 64: 11; 32: 13 (the commits' own cost takes over).
constexpr unsigned SHARD_FLUSH = 100;

// Shards compacted at once: each holds a few files open, and a compaction
// has all of its inputs open together.
constexpr size_t COMPACT_FANIN = 64;

std::string shard_path(const std::string &bulk_dir, unsigned run)
{
	char name[32];
	std::snprintf(name, sizeof name, "/s%08u", run);
	return bulk_dir + name;
}

// The shard directories of a bulk directory, in run order.
std::vector<std::string> list_shards(const std::string &bulk_dir)
{
	std::vector<std::string> v;
	DIR *d = opendir(bulk_dir.c_str());
	if (!d)
		throw Xapian::DatabaseError("cannot read " + bulk_dir, errno);
	while (struct dirent *e = readdir(d))
		if (e->d_name[0] == 's')
			v.push_back(bulk_dir + "/" + e->d_name);
	closedir(d);
	std::sort(v.begin(), v.end());
	return v;
}

// Compacts `in` (in order) into a new database at `out`.
void compact_into(const std::vector<std::string> &in, const std::string &out)
{
	Xapian::Database all;
	for (const std::string &p : in)
		all.add_database(Xapian::Database(p));
	all.compact(out, Xapian::Compactor::FULL | Xapian::DBCOMPACT_MULTIPASS);
}

void sync_path(const std::string &path, bool dir)
{
	int fd = open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		throw Xapian::DatabaseError("cannot open " + path, errno);
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	if (rc != 0)
		throw Xapian::DatabaseError("cannot sync " + path, e);
}

// Syncs every file of a (flat) database directory and the directory.
void sync_tree(const std::string &dir)
{
	DIR *d = opendir(dir.c_str());
	if (!d)
		throw Xapian::DatabaseError("cannot read " + dir, errno);
	std::vector<std::string> files;
	while (struct dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			files.push_back(dir + "/" + e->d_name);
	closedir(d);
	for (const std::string &f : files)
		sync_path(f, false);
	sync_path(dir, true);
}

// Readers notice a new index by its revision alone (Xapian reopens when
// the revision differs): the swapped-in database must not have the old
// one's. Compaction starts at revision 1; an emptied index that had many
// commits is past it, so commit no-op changes until it is not.
void bump_revision(const std::string &path, Xapian::rev old_rev)
{
	if (Xapian::Database(path).get_revision() > old_rev)
		return;
	Xapian::WritableDatabase db(path, Xapian::DB_OPEN | Xapian::DB_NO_SYNC);
	while (db.get_revision() <= old_rev) {
		db.set_metadata("kbs-bulk", db.get_metadata("kbs-bulk").empty() ? "1" : "");
		db.commit();
	}
	if (!db.get_metadata("kbs-bulk").empty()) {
		db.set_metadata("kbs-bulk", "");
		db.commit();
	}
	db.close();
}

// Puts the database at `fresh` in the place of the one at `dir`, in one
// step where the system can (then a reader sees the old index or the new
// one, never none); the old one ends up at `fresh`.
void swap_in(const std::string &fresh, const std::string &dir)
{
	if (renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0)
		return;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		throw Xapian::DatabaseError("cannot move the new index into place", errno);
	// A file system without the exchange: two renames, with a moment
	// between them when there is no index to open.
	std::string old = fresh + ".old";
	if (rename(dir.c_str(), old.c_str()) != 0)
		throw Xapian::DatabaseError("cannot move the old index away", errno);
	if (rename(fresh.c_str(), dir.c_str()) != 0) {
		int e = errno;
		(void)rename(old.c_str(), dir.c_str());
		throw Xapian::DatabaseError("cannot move the new index into place", e);
	}
	(void)rename(old.c_str(), fresh.c_str());
}

void bulk_commit(kbs_store__writer *w)
{
	std::vector<std::string> shards = list_shards(w->bulk_dir);
	if (shards.empty()) { // nothing added: the empty index stays
		w->db.commit_transaction();
		w->in_transaction = false;
		return;
	}
	// Many shards: compact them by groups first.
	for (unsigned level = 0; shards.size() > COMPACT_FANIN; level++) {
		std::vector<std::string> merged;
		for (size_t i = 0; i < shards.size(); i += COMPACT_FANIN) {
			std::vector<std::string> group(
				shards.begin() + static_cast<std::ptrdiff_t>(i),
				shards.begin() + static_cast<std::ptrdiff_t>(
							 std::min(shards.size(), i + COMPACT_FANIN)));
			char name[48];
			std::snprintf(name, sizeof name, "/m%02u-%08zu", level, i / COMPACT_FANIN);
			merged.push_back(w->bulk_dir + name);
			compact_into(group, merged.back());
			for (const std::string &p : group)
				remove_tree(p);
		}
		shards.swap(merged);
	}
	std::string out = w->bulk_dir + "/index";
	compact_into(shards, out);
	bump_revision(out, w->db.get_revision());
	sync_tree(out);
	swap_in(out, w->dir);
	std::string::size_type slash = w->dir.rfind('/');
	sync_path(slash == std::string::npos ? "." : w->dir.substr(0, slash), true);
	// Committed. The old, empty index is now at `out`: it goes with the
	// rest of the bulk directory, whatever closing it says.
	w->in_transaction = false;
	try {
		w->db.cancel_transaction();
	} catch (...) {
	}
	try {
		w->db.close();
	} catch (...) {
	}
}

} // namespace

extern "C" kbs_status kbs_store__writer_commit(kbs_store__writer *w, kbs_err *err)
{
	try {
		if (!w->bulk_dir.empty()) {
			bulk_commit(w);
			return KBS_OK;
		}
		w->db.commit_transaction();
		w->in_transaction = false;
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

// ---- bulk loading ----

struct kbs_store__shard {
	Xapian::WritableDatabase db;
	unsigned pending = 0; // added since the last commit
};

extern "C" bool kbs_store__writer_is_empty(kbs_store__writer *w)
{
	try {
		return w->db.get_doccount() == 0;
	} catch (...) {
		return false;
	}
}

extern "C" kbs_status kbs_store__writer_bulk_begin(kbs_store__writer *w, kbs_err *err)
{
	try {
		std::string tmpl = w->dir + ".bulk-XXXXXX";
		std::vector<char> buf(tmpl.begin(), tmpl.end());
		buf.push_back('\0');
		if (!mkdtemp(buf.data()))
			return kbs_err__set(err, KBS_EIO, "cannot make a directory beside %s: %s",
					    w->dir.c_str(), std::strerror(errno));
		w->bulk_dir = buf.data();
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__shard_new(kbs_store__shard **out, kbs_store__writer *w,
					   unsigned run, kbs_err *err)
{
	*out = nullptr;
	kbs_store__shard *s = new (std::nothrow) kbs_store__shard;
	if (!s)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	try {
		// Private until compacted: no reader, and a crash throws it away,
		// so neither syncs nor crash-safe block copies are needed.
		s->db = Xapian::WritableDatabase(shard_path(w->bulk_dir, run),
						 Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS |
							 Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS);
		*out = s;
		return KBS_OK;
	} catch (...) {
		delete s;
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__shard_add(kbs_store__shard *s, const char *idterm,
					   kbs_store__doc *d, kbs_err *err)
{
	try {
		d->doc.add_boolean_term(idterm);
		s->db.add_document(d->doc);
		if (++s->pending >= SHARD_FLUSH) {
			s->db.commit();
			s->pending = 0;
		}
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" kbs_status kbs_store__shard_close(kbs_store__shard *s, kbs_err *err)
{
	try {
		s->db.commit();
		s->db.close();
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

extern "C" void kbs_store__shard_free(kbs_store__shard *s)
{
	try {
		delete s;
	} catch (...) {
	}
}

extern "C" kbs_status kbs_store__writer_bulk_delete(kbs_store__writer *w, const char *idterm,
						    bool *existed, kbs_err *err)
{
	*existed = false;
	try {
		// The shard is copied without the article rather than edited:
		// compacting a shard with a deleted document gave a posting
		// list shorter than its own statistics.
		for (const std::string &p : list_shards(w->bulk_dir)) {
			Xapian::Database src(p);
			if (!src.term_exists(idterm))
				continue;
			*existed = true;
			std::string tmp = p + ".copy";
			Xapian::WritableDatabase dst(tmp, Xapian::DB_CREATE_OR_OVERWRITE |
								  Xapian::DB_BACKEND_GLASS |
								  Xapian::DB_NO_SYNC);
			for (Xapian::PostingIterator it = src.postlist_begin(""); it != src.postlist_end("");
			     ++it) {
				Xapian::Document doc = src.get_document(*it);
				Xapian::TermIterator t = doc.termlist_begin();
				t.skip_to(idterm);
				if (t == doc.termlist_end() || *t != idterm)
					dst.add_document(doc);
			}
			dst.commit();
			dst.close();
			src.close();
			remove_tree(p);
			if (rename(tmp.c_str(), p.c_str()) != 0)
				throw Xapian::DatabaseError("cannot replace a shard", errno);
		}
		return KBS_OK;
	} catch (...) {
		return store_error(err);
	}
}

// ---- disk usage ----

extern "C" uint64_t kbs_store__dir_bytes(const char *dir)
{
	// A Xapian (glass) database is one flat directory; count allocated
	// blocks as du does.
	uint64_t total = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	while (struct dirent *e = readdir(d)) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += static_cast<uint64_t>(st.st_blocks) * 512u;
	}
	closedir(d);
	return total;
}
