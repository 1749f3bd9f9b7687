/* SPDX-License-Identifier: MIT */
/*
 * Loading and checking a run journal (journal.h, docs/journal.md).
 *
 * The checker walks the document with a JSON path buffer ("experiments[0].checks[3]") so
 * that every message can say exactly where the problem is; it describes offending values
 * itself (no json_dumps) so that checking never allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

/* ---- loading ------------------------------------------------------------------------- */

/* Read all of fd into a new buffer, refusing more than FL_JOURNAL_FILE_MAX bytes. */
static int read_all(int fd, char **ret, size_t *ret_len)
{
	_cleanup_(fl_freep) char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		if (st.st_size > FL_JOURNAL_FILE_MAX)
			return -EFBIG;
		cap = (size_t)st.st_size + 1; /* +1: the read returning 0 fits */
	}
	for (;;) {
		if (!buf || len == cap) {
			size_t ncap = !buf && cap ? cap : cap ? cap * 2 : 64 * 1024;
			char *n;

			if (ncap > (size_t)FL_JOURNAL_FILE_MAX + 1)
				ncap = (size_t)FL_JOURNAL_FILE_MAX + 1;
			if (ncap <= len)
				return -EFBIG;
			n = realloc(buf, ncap);
			if (!n)
				return -ENOMEM;
			buf = n;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > FL_JOURNAL_FILE_MAX)
			return -EFBIG;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int fl_journal_load_buffer(const char *text, size_t len, json_t **ret, struct fl_diag *diag)
{
	json_error_t jerr;
	json_t *doc;
	int r;

	if (len > FL_JOURNAL_FILE_MAX)
		return fl_diag_set(diag, -EFBIG, "journal is %zu bytes, above the limit of %d", len,
				   FL_JOURNAL_FILE_MAX);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		/* jansson reports some allocation failures with an empty error (lex_init),
		 * others as json_error_out_of_memory; a syntax error always has a text. */
		if (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0])
			return fl_diag_set(diag, -ENOMEM, "out of memory reading the journal");
		if (diag) {
			diag->line = jerr.line > 0 ? jerr.line : 0;
			diag->col = jerr.column > 0 ? jerr.column : 0;
		}
		return fl_diag_set(diag, -EINVAL, "not valid JSON: %s", jerr.text);
	}
	r = fl_journal_check(doc, diag);
	if (r < 0) {
		json_decref(doc);
		return r;
	}
	*ret = doc;
	return 0;
}

int fl_journal_load(const char *path, json_t **ret, struct fl_diag *diag)
{
	_cleanup_(fl_closep) int fd = -1;
	_cleanup_(fl_freep) char *buf = NULL;
	bool is_stdin = strcmp(path, "-") == 0;
	size_t len = 0;
	int r;

	if (diag)
		diag->file = is_stdin ? "(stdin)" : path;
	if (!is_stdin) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fl_diag_set(diag, -errno, "cannot open: %s", strerror(errno));
	}
	r = read_all(is_stdin ? STDIN_FILENO : fd, &buf, &len);
	if (r == -EFBIG)
		return fl_diag_set(diag, r, "larger than the limit of %d bytes",
				   FL_JOURNAL_FILE_MAX);
	if (r == -ENOMEM)
		return fl_diag_set(diag, r, "out of memory reading the journal");
	if (r < 0)
		return fl_diag_set(diag, r, "cannot read: %s", strerror(-r));
	return fl_journal_load_buffer(buf, len, ret, diag);
}

/* ---- checking ------------------------------------------------------------------------ */

struct ctx {
	struct fl_diag *diag;
	char path[256]; /* "experiments[0].checks[3]"; truncated paths stay readable */
	size_t len;
};

static size_t push_key(struct ctx *c, const char *key)
{
	size_t old = c->len;
	int n = snprintf(c->path + c->len, sizeof(c->path) - c->len, "%s%s", c->len ? "." : "",
			 key);

	if (n > 0)
		c->len = FL_MIN(c->len + (size_t)n, sizeof(c->path) - 1);
	return old;
}

static size_t push_index(struct ctx *c, size_t i)
{
	size_t old = c->len;
	int n = snprintf(c->path + c->len, sizeof(c->path) - c->len, "[%zu]", i);

	if (n > 0)
		c->len = FL_MIN(c->len + (size_t)n, sizeof(c->path) - 1);
	return old;
}

static void pop(struct ctx *c, size_t old)
{
	c->len = old;
	c->path[old] = '\0';
}

/* A short, printable rendering of a value for messages: "maybe" (quoted), 42, an object. */
static void describe(const json_t *v, char *buf, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = 0, o = 0;

		buf[o++] = '"';
		for (; s[n] && o + 8 < size; n++) {
			unsigned char ch = (unsigned char)s[n];

			if (n >= 48 && (ch & 0xc0) != 0x80) {
				/* stop at a character boundary */
				break;
			}
			if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
				o += (size_t)snprintf(buf + o, size - o, "\\u%04x", ch);
			else
				buf[o++] = (char)ch;
		}
		if (s[n] && o + 4 < size) {
			memcpy(buf + o, "...", 3);
			o += 3;
		}
		buf[o++] = '"';
		buf[o] = '\0';
		return;
	}
	case JSON_INTEGER:
		(void)snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	case JSON_REAL:
		(void)snprintf(buf, size, "%.17g", json_real_value(v));
		return;
	case JSON_TRUE:
		(void)snprintf(buf, size, "true");
		return;
	case JSON_FALSE:
		(void)snprintf(buf, size, "false");
		return;
	case JSON_NULL:
		(void)snprintf(buf, size, "null");
		return;
	case JSON_OBJECT:
		(void)snprintf(buf, size, "an object");
		return;
	case JSON_ARRAY:
		(void)snprintf(buf, size, "an array");
		return;
	}
	(void)snprintf(buf, size, "a value");
}

static int bad(struct ctx *c, const json_t *v, const char *expected)
{
	char what[128];

	describe(v, what, sizeof(what));
	return fl_diag_set(c->diag, -EINVAL, "%s: %s is not %s", c->len ? c->path : "(top level)",
			   what, expected);
}

enum kind {
	K_STR,
	K_INT,	  /* any integer */
	K_TIME,	  /* integer >= 0 (Unix ms, durations) */
	K_NUM,	  /* integer or real */
	K_SCALAR, /* number or string (an observed value: 812.5 or "STALL") */
	K_SEED,	  /* integer >= 0, or a string of decimal digits (above INT64_MAX) */
	K_ARR,
	K_OBJ,
	K_ENUM,
};

static const char *const OUTCOMES_RUN[] = { "passed",  "deviated",  "error",
					    "aborted", "leftovers", NULL };
static const char *const OUTCOMES_EXP[] = { "passed",  "deviated",  "error",
					    "aborted", "leftovers", NULL };
static const char *const PHASES[] = { "before", "during", "after", "effect", NULL };
/* Samples also have the effect checks' baselines. */
static const char *const SAMPLE_PHASES[] = {
	"before", "during", "after", "effect", "baseline", NULL
};
static const char *const VERDICTS[] = { "pass", "fail", "inconclusive", "error", NULL };
static const char *const INJECT_RESULTS[] = { "ok", "error", NULL };
static const char *const REVERT_RESULTS[] = { "ok", "error", "skipped", NULL };
static const char *const REVERT_REASONS[] = { "deadline", "abort", "signal", "end",
					      "error",	  "kill",  NULL };

static bool in_list(const char *s, const char *const *values)
{
	for (; *values; values++)
		if (strcmp(s, *values) == 0)
			return true;
	return false;
}

/* "one of pass, fail, inconclusive, error" */
static void list_text(const char *const *values, char *buf, size_t size)
{
	size_t o = 0;
	int n = snprintf(buf, size, "one of");

	if (n > 0)
		o = (size_t)n;
	for (const char *const *v = values; *v && o < size; v++) {
		n = snprintf(buf + o, size - o, "%s %s", v == values ? "" : ",", *v);
		if (n > 0)
			o += (size_t)n;
	}
}

static const char *kind_text(enum kind kind)
{
	switch (kind) {
	case K_STR:
		return "a string";
	case K_INT:
		return "an integer";
	case K_TIME:
		return "an integer >= 0 (Unix milliseconds or a duration in milliseconds)";
	case K_NUM:
		return "a number";
	case K_SCALAR:
		return "a number or a string";
	case K_SEED:
		return "an integer >= 0 (or a string of decimal digits)";
	case K_ARR:
		return "an array";
	case K_OBJ:
		return "an object";
	case K_ENUM:
		return "a string";
	}
	return "a value";
}

/*
 * Check obj[key]: absent is fine when !required; otherwise it must have the kind (and for
 * K_ENUM be one of values). The path is extended by key for the message.
 */
static int field(struct ctx *c, const json_t *obj, const char *key, enum kind kind,
		 const char *const *values, bool required)
{
	const json_t *v = json_object_get(obj, key);
	size_t old = push_key(c, key);
	char expected[128];
	bool ok = false;
	int r = 0;

	if (!v) {
		if (required) {
			if (kind == K_ENUM)
				list_text(values, expected, sizeof(expected));
			r = fl_diag_set(c->diag, -EINVAL, "%s: missing (expected %s)", c->path,
					kind == K_ENUM ? expected : kind_text(kind));
		}
		pop(c, old);
		return r;
	}
	switch (kind) {
	case K_STR:
		ok = json_is_string(v);
		break;
	case K_INT:
		ok = json_is_integer(v);
		break;
	case K_TIME:
		ok = json_is_integer(v) && json_integer_value(v) >= 0;
		break;
	case K_NUM:
		ok = json_is_number(v);
		break;
	case K_SCALAR:
		ok = json_is_number(v) || json_is_string(v);
		break;
	case K_SEED:
		if (json_is_integer(v)) {
			ok = json_integer_value(v) >= 0;
		} else if (json_is_string(v)) {
			const char *s = json_string_value(v);

			ok = *s && strlen(s) <= 20 && strspn(s, "0123456789") == strlen(s);
		}
		break;
	case K_ARR:
		ok = json_is_array(v);
		break;
	case K_OBJ:
		ok = json_is_object(v);
		break;
	case K_ENUM:
		ok = json_is_string(v) && in_list(json_string_value(v), values);
		if (!ok) {
			list_text(values, expected, sizeof(expected));
			r = bad(c, v, expected);
			pop(c, old);
			return r;
		}
		break;
	}
	if (!ok)
		r = bad(c, v, kind_text(kind));
	pop(c, old);
	return r;
}

#define REQ(obj, key, kind)	field(c, obj, key, kind, NULL, true)
#define OPT(obj, key, kind)	field(c, obj, key, kind, NULL, false)
#define REQ_ENUM(obj, key, set) field(c, obj, key, K_ENUM, set, true)
#define OPT_ENUM(obj, key, set) field(c, obj, key, K_ENUM, set, false)

/* Run check(c, element) on every element of obj[key] (an array, absent is fine). */
static int each(struct ctx *c, const json_t *obj, const char *key,
		int (*check)(struct ctx *c, const json_t *elem))
{
	const json_t *arr = json_object_get(obj, key), *elem;
	size_t old, i;
	int r;

	if (!arr)
		return 0;
	r = REQ(obj, key, K_ARR);
	if (r < 0)
		return r;
	old = push_key(c, key);
	json_array_foreach(arr, i, elem)
	{
		size_t old_i = push_index(c, i);

		r = check(c, elem);
		if (r < 0)
			return r; /* the message holds the path already */
		pop(c, old_i);
	}
	pop(c, old);
	return 0;
}

static int need_object(struct ctx *c, const json_t *v)
{
	return json_is_object(v) ? 0 : bad(c, v, "an object");
}

static int check_string(struct ctx *c, const json_t *v)
{
	return json_is_string(v) ? 0 : bad(c, v, "a string");
}

static int check_resolved(struct ctx *c, const json_t *v)
{
	return need_object(c, v);
}

static int check_target(struct ctx *c, const json_t *t)
{
	int r;

	if ((r = need_object(c, t)) < 0 || (r = OPT(t, "selector", K_STR)) < 0 ||
	    (r = OPT(t, "mode", K_STR)) < 0 || (r = OPT(t, "agent", K_STR)) < 0 ||
	    (r = each(c, t, "resolved", check_resolved)) < 0)
		return r;
	return 0;
}

static int check_check(struct ctx *c, const json_t *k)
{
	int r;

	if ((r = need_object(c, k)) < 0 || (r = REQ(k, "probe", K_STR)) < 0 ||
	    (r = REQ(k, "type", K_STR)) < 0 || (r = REQ_ENUM(k, "phase", PHASES)) < 0 ||
	    (r = REQ_ENUM(k, "verdict", VERDICTS)) < 0 || (r = OPT(k, "metric", K_STR)) < 0 ||
	    (r = OPT(k, "observed", K_SCALAR)) < 0 || (r = OPT(k, "rule", K_STR)) < 0 ||
	    (r = REQ(k, "message", K_STR)) < 0 || (r = REQ(k, "atMs", K_TIME)) < 0 ||
	    (r = OPT(k, "durationMs", K_TIME)) < 0)
		return r;
	return 0;
}

static int check_fault(struct ctx *c, const json_t *f)
{
	const json_t *inj, *rev;
	size_t old;
	int r;

	if ((r = need_object(c, f)) < 0 || (r = REQ(f, "name", K_STR)) < 0 ||
	    (r = REQ(f, "kind", K_STR)) < 0 || (r = REQ(f, "target", K_STR)) < 0 ||
	    (r = REQ(f, "agent", K_STR)) < 0 || (r = OPT(f, "id", K_STR)) < 0 ||
	    (r = OPT(f, "mechanism", K_STR)) < 0 || (r = OPT(f, "request", K_OBJ)) < 0 ||
	    (r = OPT(f, "wire", K_OBJ)) < 0 || (r = REQ(f, "inject", K_OBJ)) < 0 ||
	    (r = OPT(f, "revert", K_OBJ)) < 0)
		return r;
	inj = json_object_get(f, "inject");
	old = push_key(c, "inject");
	if ((r = REQ_ENUM(inj, "result", INJECT_RESULTS)) < 0 ||
	    (r = REQ(inj, "atMs", K_TIME)) < 0 || (r = OPT(inj, "durationMs", K_TIME)) < 0 ||
	    (r = OPT(inj, "message", K_STR)) < 0)
		return r;
	pop(c, old);
	rev = json_object_get(f, "revert");
	if (!rev)
		return 0;
	old = push_key(c, "revert");
	if ((r = REQ_ENUM(rev, "result", REVERT_RESULTS)) < 0 ||
	    (r = OPT(rev, "atMs", K_TIME)) < 0 || (r = OPT(rev, "durationMs", K_TIME)) < 0 ||
	    (r = OPT_ENUM(rev, "reason", REVERT_REASONS)) < 0 ||
	    (r = OPT(rev, "message", K_STR)) < 0)
		return r;
	/* A revert that happened has a time; only a skipped one may lack it. */
	if (strcmp(json_string_value(json_object_get(rev, "result")), "skipped") != 0 &&
	    (r = REQ(rev, "atMs", K_TIME)) < 0)
		return r;
	pop(c, old);
	return 0;
}

static int check_sample(struct ctx *c, const json_t *s)
{
	int r;

	if ((r = need_object(c, s)) < 0 || (r = REQ(s, "probe", K_STR)) < 0 ||
	    (r = OPT(s, "type", K_STR)) < 0 || (r = REQ_ENUM(s, "phase", SAMPLE_PHASES)) < 0 ||
	    (r = REQ(s, "atMs", K_TIME)) < 0 || (r = OPT(s, "values", K_OBJ)) < 0 ||
	    (r = OPT(s, "error", K_STR)) < 0 || (r = OPT_ENUM(s, "verdict", VERDICTS)) < 0)
		return r;
	return 0;
}

static int check_hook(struct ctx *c, const json_t *h)
{
	int r;

	if ((r = need_object(c, h)) < 0 || (r = REQ(h, "name", K_STR)) < 0 ||
	    (r = OPT(h, "module", K_STR)) < 0 || (r = REQ(h, "event", K_STR)) < 0 ||
	    (r = REQ(h, "atMs", K_TIME)) < 0 || (r = REQ(h, "result", K_STR)) < 0 ||
	    (r = OPT(h, "message", K_STR)) < 0)
		return r;
	return 0;
}

static int check_leftover(struct ctx *c, const json_t *l)
{
	int r;

	if ((r = need_object(c, l)) < 0 || (r = REQ(l, "agent", K_STR)) < 0 ||
	    (r = REQ(l, "id", K_STR)) < 0 || (r = OPT(l, "kind", K_STR)) < 0 ||
	    (r = OPT(l, "state", K_STR)) < 0 || (r = OPT(l, "message", K_STR)) < 0)
		return r;
	return 0;
}

static int check_experiment(struct ctx *c, const json_t *e)
{
	const json_t *abort_;
	int r;

	if ((r = need_object(c, e)) < 0 || (r = REQ(e, "name", K_STR)) < 0 ||
	    (r = OPT(e, "description", K_STR)) < 0 || (r = REQ(e, "file", K_STR)) < 0 ||
	    (r = REQ(e, "startedMs", K_TIME)) < 0 || (r = REQ(e, "finishedMs", K_TIME)) < 0 ||
	    (r = REQ_ENUM(e, "outcome", OUTCOMES_EXP)) < 0 || (r = OPT(e, "error", K_STR)) < 0 ||
	    (r = OPT(e, "abort", K_OBJ)) < 0)
		return r;
	abort_ = json_object_get(e, "abort");
	if (abort_) {
		size_t old = push_key(c, "abort");

		if ((r = OPT(abort_, "probe", K_STR)) < 0 ||
		    (r = REQ(abort_, "atMs", K_TIME)) < 0 ||
		    (r = REQ(abort_, "message", K_STR)) < 0)
			return r;
		pop(c, old);
	}
	if ((r = each(c, e, "targets", check_target)) < 0 ||
	    (r = each(c, e, "checks", check_check)) < 0 ||
	    (r = each(c, e, "faults", check_fault)) < 0 ||
	    (r = each(c, e, "samples", check_sample)) < 0 ||
	    (r = each(c, e, "hooks", check_hook)) < 0 ||
	    (r = each(c, e, "leftovers", check_leftover)) < 0)
		return r;
	return 0;
}

static const int EXIT_CODES[] = { 0, 1, 2, 3, 4 };

int fl_journal_check(const json_t *journal, struct fl_diag *diag)
{
	struct ctx ctx = { .diag = diag }, *c = &ctx;
	const json_t *v, *run;
	size_t old;
	int r;

	if (!json_is_object(journal))
		return bad(c, journal, "an object (a run journal)");
	if ((r = REQ(journal, "journalVersion", K_INT)) < 0)
		return r;
	v = json_object_get(journal, "journalVersion");
	if (json_integer_value(v) != FL_JOURNAL_VERSION)
		return fl_diag_set(diag, -EINVAL,
				   "journalVersion: %" JSON_INTEGER_FORMAT
				   " is not supported (this faultline reads version %d)",
				   json_integer_value(v), FL_JOURNAL_VERSION);
	if ((r = REQ(journal, "faultline", K_STR)) < 0 ||
	    (r = OPT(journal, "librdkafka", K_STR)) < 0 || (r = REQ(journal, "run", K_OBJ)) < 0 ||
	    (r = REQ(journal, "experiments", K_ARR)) < 0)
		return r;

	run = json_object_get(journal, "run");
	old = push_key(c, "run");
	if ((r = REQ(run, "id", K_STR)) < 0 || (r = REQ(run, "host", K_STR)) < 0 ||
	    (r = each(c, run, "files", check_string)) < 0 || (r = REQ(run, "suite", K_STR)) < 0 ||
	    (r = REQ(run, "seed", K_SEED)) < 0 || (r = REQ(run, "startedMs", K_TIME)) < 0 ||
	    (r = REQ(run, "finishedMs", K_TIME)) < 0 ||
	    (r = REQ_ENUM(run, "outcome", OUTCOMES_RUN)) < 0 ||
	    (r = REQ(run, "exitCode", K_INT)) < 0)
		return r;
	v = json_object_get(run, "exitCode");
	r = -EINVAL;
	for (size_t i = 0; i < FL_ARRAY_SIZE(EXIT_CODES); i++)
		if (json_integer_value(v) == EXIT_CODES[i])
			r = 0;
	if (r < 0) {
		push_key(c, "exitCode");
		return bad(c, v, "one of 0, 1, 2, 3, 4");
	}
	pop(c, old);
	return each(c, journal, "experiments", check_experiment);
}

/* ---- accessors ----------------------------------------------------------------------- */

const char *fl_journal_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

const char *fl_journal_str_or(const json_t *obj, const char *key, const char *def)
{
	const char *s = fl_journal_str(obj, key);

	return s ? s : def;
}

int64_t fl_journal_int(const json_t *obj, const char *key, int64_t def)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d > -9.2e18 && d < 9.2e18)
			return (int64_t)d;
	}
	return def;
}

bool fl_journal_num(const json_t *obj, const char *key, double *ret)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*ret = json_number_value(v);
	return true;
}

const json_t *fl_journal_array(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

const json_t *fl_journal_object(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_object(v) ? v : NULL;
}

void fl_journal_seed(const json_t *journal, char *buf, size_t size)
{
	const json_t *seed = json_object_get(json_object_get(journal, "run"), "seed");

	if (json_is_integer(seed))
		(void)snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(seed));
	else if (json_is_string(seed))
		(void)snprintf(buf, size, "%s", json_string_value(seed));
	else if (size)
		buf[0] = '\0';
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
 * Done by hand because gmtime_r() may allocate (glibc's tzset) and reports must not fail
 * or differ for want of memory.
 */
static void civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	*ret_d = doy - (153 * mp + 2) / 5 + 1;
	*ret_m = m;
	*ret_y = (int)(yoe + era * 400 + (m <= 2));
}

void fl_journal_format_time(int64_t ms, bool with_zone, char *buf, size_t size)
{
	int64_t secs, day_secs;
	unsigned month, mday;
	int year;

	if (!size)
		return;
	buf[0] = '\0';
	/* Year 9999 at most: four-digit years keep ISO 8601 (and JUnit readers) happy. */
	if (ms < 0 || ms > INT64_C(253402300799999))
		return;
	secs = ms / 1000;
	day_secs = secs % 86400;
	civil_from_days(secs / 86400, &year, &month, &mday);
	(void)snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02d", year, month, mday,
		       (int)(day_secs / 3600), (int)(day_secs / 60 % 60), (int)(day_secs % 60));
	if (with_zone) {
		size_t n = strlen(buf);

		(void)snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
	}
}

void fl_journal_format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		(void)snprintf(buf, size, "%" PRId64 "ms", ms);
	else if (ms < 60 * 1000)
		(void)snprintf(buf, size, "%" PRId64 ".%03" PRId64 "s", ms / 1000, ms % 1000);
	else if (ms < 3600 * 1000)
		(void)snprintf(buf, size, "%" PRId64 "m%02" PRId64 ".%01" PRId64 "s", ms / 60000,
			       ms / 1000 % 60, ms % 1000 / 100);
	else
		(void)snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m%02" PRId64 "s", ms / 3600000,
			       ms / 60000 % 60, ms / 1000 % 60);
}
