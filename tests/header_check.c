/* The public header compiles alone as strict C11. */
#include "kbsearch.h"
const char *header_check(void);
const char *header_check(void) { kbs_search_opts o = KBS_SEARCH_OPTS_INIT; (void)o; return kbs_status_str(KBS_OK); }
