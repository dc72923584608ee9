// The public header compiles alone as C++.
#include "kbsearch.h"
const char *header_check_cpp();
const char *header_check_cpp()
{
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	kbs_article a = KBS_ARTICLE_INIT;
	(void)o;
	(void)a;
	return kbs_status_str(KBS_OK);
}
