/*
 * Analytics: what visitors searched, read and still asked support about.
 * The search path reports to it through one call; everything else of this
 * module is reached through the public kbs_event_* / kbs_report_* API.
 */
#ifndef KBS_EVENTS_H
#define KBS_EVENTS_H

#include "../query/query.h"

/* Called by kbs_search once a search has succeeded, before it returns:
 * records it when the search carried a session id (o->session) and logging
 * is on. Must not wait on the disk. `ctx` may be used for more engine
 * lookups (why a search went unanswered); `latency_us` is the search's own
 * time so far. Never fails the search: a failure to log is counted, not
 * returned. */
void kbs_events__search_done(kbs_kb *kb, kbs_ctx *ctx, const kbs_query__plan *plan,
			     const kbs_search_opts *o, const kbs_results *r, double latency_us);

#endif
