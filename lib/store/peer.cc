// Raw Xapian for the benchmarks: see peer.h for the layout and why it is here.
// Every extern "C" body is one try block; every catch calls fail(), which
// re-throws to tell the exception apart, so no exception reaches C.
#include "peer.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>

#include <xapian.h>

struct bench_xapian {
	Xapian::Database db;          // what searches read
	Xapian::WritableDatabase *wdb; // non-NULL when opened to write
	Xapian::TermGenerator tg;
	Xapian::QueryParser qp;
	std::string qp_lang;          // the language qp's stemmer is set for
	bool qp_set = false;          // whether qp_lang means anything yet
	std::map<std::string, Xapian::Stem> stems;
};

static char *dup_msg(const std::string &s)
{
	char *m = static_cast<char *>(std::malloc(s.size() + 1));
	if (m)
		std::memcpy(m, s.c_str(), s.size() + 1);
	return m;
}

// Called from a catch block: re-throws the exception in flight to word it.
static int fail(char **errmsg)
{
	std::string msg;
	try {
		throw;
	} catch (const Xapian::Error &e) {
		msg = e.get_type() + std::string(": ") + e.get_msg();
	} catch (const std::bad_alloc &) {
		msg = "out of memory";
	} catch (const std::exception &e) {
		msg = e.what();
	} catch (...) {
		msg = "unknown exception";
	}
	if (errmsg) {
		try {
			*errmsg = dup_msg(msg);
		} catch (...) {
			*errmsg = nullptr;
		}
	}
	return -1;
}

// The stemmer of lang; Stem() (none) for a language Xapian does not know,
// as a raw Xapian indexer would fall back to.
static const Xapian::Stem &stem_for(bench_xapian *x, const char *lang)
{
	std::string l = lang ? lang : "";
	auto it = x->stems.find(l);
	if (it != x->stems.end())
		return it->second;
	Xapian::Stem s;
	if (!l.empty()) {
		try {
			s = Xapian::Stem(l);
		} catch (const Xapian::InvalidArgumentError &) {
		}
	}
	return x->stems.emplace(l, s).first->second;
}

extern "C" int bench_xapian_open(bench_xapian **out, const char *path, int create, char **errmsg)
{
	*out = nullptr;
	if (errmsg)
		*errmsg = nullptr;
	bench_xapian *x = nullptr;
	try {
		x = new bench_xapian();
		x->wdb = nullptr;
		if (create) {
			x->wdb = new Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OVERWRITE);
			x->db = *x->wdb;
			x->tg.set_database(*x->wdb);
		} else {
			x->db = Xapian::Database(path);
		}
		// Needed by FLAG_PARTIAL, which expands the last word from the
		// database's terms.
		x->qp.set_database(x->db);
		*out = x;
		return 0;
	} catch (...) {
		if (x) {
			delete x->wdb;
			delete x;
		}
		return fail(errmsg);
	}
}

extern "C" int bench_xapian_add(bench_xapian *x, const char *id, const char *lang,
				const char *title, const char *body, char **errmsg)
{
	try {
		if (!x->wdb)
			throw Xapian::InvalidOperationError("opened read-only");
		Xapian::Document doc;
		x->tg.set_document(doc);
		x->tg.set_stemmer(stem_for(x, lang));
		x->tg.index_text(title, 1, "S");
		x->tg.index_text(title);
		x->tg.increase_termpos();
		x->tg.index_text(body);
		doc.set_data(id);
		std::string idterm = std::string("Q") + id;
		doc.add_boolean_term(idterm);
		doc.add_boolean_term(std::string("L") + (lang ? lang : ""));
		x->wdb->replace_document(idterm, doc);
		return 0;
	} catch (...) {
		return fail(errmsg);
	}
}

extern "C" int bench_xapian_commit(bench_xapian *x, char **errmsg)
{
	try {
		if (x->wdb)
			x->wdb->commit();
		return 0;
	} catch (...) {
		return fail(errmsg);
	}
}

extern "C" int bench_xapian_search(bench_xapian *x, const char *text, const char *lang,
				   unsigned flags, size_t max, char **ids, double *scores,
				   size_t *n, char **errmsg)
{
	*n = 0;
	try {
		std::string l = lang ? lang : "";
		if (!x->qp_set || l != x->qp_lang) {
			x->qp.set_stemmer(stem_for(x, lang));
			x->qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
			x->qp_lang = l;
			x->qp_set = true;
		}
		unsigned qflags = Xapian::QueryParser::FLAG_DEFAULT;
		if (flags & (BENCH_XAPIAN_PARTIAL | BENCH_XAPIAN_TITLE))
			qflags |= Xapian::QueryParser::FLAG_PARTIAL;
		x->qp.set_default_op(flags & BENCH_XAPIAN_TITLE ? Xapian::Query::OP_AND
								: Xapian::Query::OP_OR);
		Xapian::Query q = x->qp.parse_query(text, qflags, flags & BENCH_XAPIAN_TITLE ? "S" : "");
		if (lang)
			q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query("L" + l));
		Xapian::Enquire enquire(x->db);
		enquire.set_query(q);
		Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(max));
		for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
			char *id = dup_msg(it.get_document().get_data());
			if (!id)
				throw std::bad_alloc();
			ids[*n] = id;
			scores[(*n)++] = it.get_weight();
		}
		return 0;
	} catch (...) {
		for (size_t i = 0; i < *n; i++)
			std::free(ids[i]);
		*n = 0;
		return fail(errmsg);
	}
}

extern "C" void bench_xapian_close(bench_xapian *x)
{
	if (!x)
		return;
	try {
		if (x->wdb)
			x->wdb->close();
	} catch (...) {
	}
	delete x->wdb;
	delete x;
}
