/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure torture (tests/lib/failmalloc.h) of the journal loader and the report
 * writers: the n-th allocation fails, for every n, and each call must fail cleanly with
 * -ENOMEM, or succeed with exactly the output of an undisturbed run (stdio absorbs a failed
 * buffer allocation by going unbuffered) — no crash, and under
 * `make SANITIZE=address,undefined` no leak.
 *
 * jansson 2.14's parser does not survive allocation failures itself (akheron/jansson#362:
 * lex_save() drops an out-of-memory and the lexer desynchronises; json_loadb crashes at the
 * 4th failing allocation here). Until Debian ships a fixed jansson, the loader torture
 * gives jansson an allocator that never fails (json_set_alloc_funcs) and tortures our own
 * allocations; the writers' torture keeps jansson on the failing allocator (json_dumps).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failmalloc.h"
#include "fltest.h"
#include "journal.h"
#include "junit.h"
#include "report.h"

#define FIXTURES "tests/data/journals/"

static void *(*real_malloc)(size_t);

static void *jansson_malloc_never_fails(size_t size)
{
	return real_malloc(size);
}

static void exempt_jansson(bool on)
{
	if (!real_malloc)
		real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	FL_ASSERT(real_malloc);
	if (on)
		json_set_alloc_funcs(jansson_malloc_never_fails, free);
	else
		json_set_alloc_funcs(malloc, free);
}

/* Loading: read buffer, jansson's parse, the check. */
static void torture_load(const char *path)
{
	long n;

	exempt_jansson(true);
	for (n = 0;; n++) {
		struct fl_diag diag = { 0 };
		json_t *j = NULL;
		int r;
		bool hit;

		fl_failmalloc_arm(n);
		r = fl_journal_load(path, &j, &diag);
		hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		if (!hit) {
			FL_ASSERT_MSG(r == 0, "%s: %s with no allocation failing", path, diag.msg);
			json_decref(j);
			break;
		}
		FL_ASSERT_MSG(r == -ENOMEM, "%s: allocation %ld failed, got %d (%s)", path, n, r,
			      diag.msg);
		FL_ASSERT(!j);
	}
	exempt_jansson(false);
	fltest_log("%s: %ld allocations tortured", path, n);
	FL_ASSERT(n > 0);
}

/* Rendering into a growing buffer (open_memstream): every allocation on the way, the
 * stream's own included, must turn into -ENOMEM and no buffer. */
static void torture_render(const char *name, fl_report_render_fn render, const char *what)
{
	struct fl_diag diag = { 0 };
	char path[256], *want = NULL;
	size_t want_len = 0;
	json_t *j = NULL;
	long n;

	(void)snprintf(path, sizeof(path), FIXTURES "%s", name);
	FL_ASSERT_OK(fl_journal_load(path, &j, &diag));
	FL_ASSERT_OK(fl_report_render_buffer(render, j, &want, &want_len, &diag));
	for (n = 0;; n++) {
		char *buf = NULL;
		size_t len = 0;
		int r;
		bool hit;

		diag = (struct fl_diag){ 0 };
		fl_failmalloc_arm(n);
		r = fl_report_render_buffer(render, j, &buf, &len, &diag);
		hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		if (!hit) {
			FL_ASSERT_OK(r);
			/* the successful run after all the failures renders the same bytes */
			FL_ASSERT_MEMEQ(buf, len, want, want_len);
			free(buf);
			break;
		}
		if (r == 0) { /* absorbed (stdio went unbuffered): the output must be whole */
			FL_ASSERT_MEMEQ(buf, len, want, want_len);
			free(buf);
			continue;
		}
		FL_ASSERT_MSG(r == -ENOMEM, "%s %s: allocation %ld failed, got %d (%s)", what, name,
			      n, r, diag.msg);
		FL_ASSERT(!buf);
	}
	fltest_log("%s %s: %ld allocations tortured", what, name, n);
	FL_ASSERT(n > 0);
	free(want);
	json_decref(j);
}

/* Writing to a caller's FILE (buffer already allocated): the writer's own allocations
 * (timeline, request text) fail into -ENOMEM. */
static void torture_file(const char *name)
{
	struct fl_diag diag = { 0 };
	char path[256];
	json_t *j = NULL;
	FILE *out = fopen("/dev/null", "w");
	long n;

	FL_ASSERT(out);
	fputs("warm", out); /* stdio allocates its buffer now, not under torture */
	FL_ASSERT(fflush(out) == 0);
	(void)snprintf(path, sizeof(path), FIXTURES "%s", name);
	FL_ASSERT_OK(fl_journal_load(path, &j, &diag));
	for (n = 0;; n++) {
		int r;
		bool hit;

		fl_failmalloc_arm(n);
		r = fl_junit_write(j, out, &diag);
		hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		if (!hit) {
			FL_ASSERT_OK(r);
			break;
		}
		FL_ASSERT_MSG(r == -ENOMEM, "junit to FILE %s: allocation %ld failed, got %d (%s)",
			      name, n, r, diag.msg);
	}
	FL_ASSERT(n > 0);
	(void)fclose(out);
	json_decref(j);
}

FLTEST(load_passed)
{
	torture_load(FIXTURES "passed.json");
}

FLTEST(load_weird_text)
{
	torture_load(FIXTURES "weird-text.json");
}

FLTEST(load_errored)
{
	torture_load(FIXTURES "errored.json");
}

FLTEST(junit_buffer)
{
	static const char *const fixtures[] = {
		"passed.json",	"deviated.json",  "aborted.json",
		"errored.json", "leftovers.json", "weird-text.json"
	};

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		torture_render(fixtures[i], fl_junit_write, "junit");
}

FLTEST(junit_file)
{
	torture_file("passed.json");
	torture_file("leftovers.json");
}

FLTEST(html_and_text_buffer)
{
	torture_render("aborted.json", fl_report_html, "html");
	torture_render("weird-text.json", fl_report_html, "html");
	torture_render("deviated.json", fl_report_text_render, "text");
}
