/* placeholder: the events log is being written (issue 4) */
#include "events.h"

void kbs_events__search_done(kbs_kb *kb, kbs_ctx *ctx, const kbs_query__plan *plan,
			     const kbs_search_opts *o, const kbs_results *r, double latency_us)
{
	(void)kb;
	(void)ctx;
	(void)plan;
	(void)o;
	(void)r;
	(void)latency_us;
}
