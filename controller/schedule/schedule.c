/* SPDX-License-Identifier: MIT */
/*
 * The Schedule file (schedule.h, docs/schedule.md), read with libyaml's document API so
 * that every node keeps its line and column. Strict: unknown or repeated fields, wrong
 * types and out-of-range values are errors at the node that has them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fl/units.h"
#include "schedule.h"

struct ctx {
	yaml_document_t *doc;
	struct fl_diag *diag;
	const char *file;
};

static int _printf_(4, 5) fail(struct ctx *x, const yaml_node_t *n, int err, const char *fmt, ...)
{
	va_list ap;

	if (!x->diag)
		return err;
	x->diag->file = x->file;
	x->diag->line = n ? (int)n->start_mark.line + 1 : 0;
	x->diag->col = n ? (int)n->start_mark.column + 1 : 0;
	va_start(ap, fmt);
	(void)vsnprintf(x->diag->msg, sizeof(x->diag->msg), fmt, ap);
	va_end(ap);
	return err;
}

static yaml_node_t *node(struct ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

static int scalar(struct ctx *x, const yaml_node_t *n, const char *path, const char **ret)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, -EINVAL, "%s: expected a string", path);
	if (n->data.scalar.length > FL_SCHED_STR_MAX ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return fail(x, n, -EINVAL, "%s: longer than %d bytes or not text", path,
			    FL_SCHED_STR_MAX);
	*ret = (const char *)n->data.scalar.value;
	return 0;
}

static int string(struct ctx *x, const yaml_node_t *n, const char *path, char **ret)
{
	const char *s;
	int r = scalar(x, n, path, &s);

	if (r < 0)
		return r;
	if (!*s)
		return fail(x, n, -EINVAL, "%s: must not be empty", path);
	*ret = strdup(s);
	return *ret ? 0 : fail(x, n, -ENOMEM, "%s: out of memory", path);
}

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > FL_SCHED_NAME_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

static int name(struct ctx *x, const yaml_node_t *n, const char *path, char **ret)
{
	const char *s;
	int r = scalar(x, n, path, &s);

	if (r < 0)
		return r;
	if (!valid_name(s))
		return fail(x, n, -EINVAL,
			    "%s: \"%s\" is not a valid name (lowercase letters, digits and '-', "
			    "at most %d characters, starting and ending with a letter or digit)",
			    path, s, FL_SCHED_NAME_MAX);
	*ret = strdup(s);
	return *ret ? 0 : fail(x, n, -ENOMEM, "%s: out of memory", path);
}

static int duration(struct ctx *x, const yaml_node_t *n, const char *path, uint64_t max_ns,
		    const char *max_text, uint64_t *ret)
{
	const char *s;
	uint64_t ns;
	int r = scalar(x, n, path, &s);

	if (r < 0)
		return r;
	if (fl_parse_duration_strict_ns(s, &ns) < 0)
		return fail(x, n, -EINVAL, "%s: \"%s\" is not a duration (e.g. 90s, 30m, 2h)", path,
			    s);
	if (ns < 1000000000ull || ns > max_ns)
		return fail(x, n, -ERANGE, "%s: \"%s\" is out of range 1s-%s", path, s, max_text);
	*ret = ns;
	return 0;
}

/*
 * Walk a mapping whose keys must be among `keys` (each at most once); fn handles a value.
 * seen[i] tells the caller which keys were present.
 */
typedef int (*field_fn)(struct ctx *x, void *obj, int key, yaml_node_t *value);

static int mapping(struct ctx *x, const yaml_node_t *n, const char *path, const char *const *keys,
		   size_t n_keys, bool *seen, field_fn fn, void *obj)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(x, n, -EINVAL, "%s: expected a mapping", *path ? path : "document");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		char expected[256] = "";
		size_t len = 0, i;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail(x, k, -EINVAL, "%s: keys must be strings", path);
		for (i = 0; i < n_keys; i++)
			if (strcmp((const char *)k->data.scalar.value, keys[i]) == 0)
				break;
		if (i == n_keys) {
			for (size_t j = 0; j < n_keys && len < sizeof(expected); j++)
				len += (size_t)snprintf(expected + len, sizeof(expected) - len,
							"%s%s", j ? ", " : "", keys[j]);
			return fail(x, k, -EINVAL, "%s%s%.64s: unknown field (expected %s)", path,
				    *path ? "." : "", (const char *)k->data.scalar.value, expected);
		}
		if (seen[i])
			return fail(x, k, -EINVAL, "%s%s%s: given twice", path, *path ? "." : "",
				    keys[i]);
		seen[i] = true;
		int r = fn(x, obj, (int)i, v);
		if (r < 0)
			return r;
	}
	return 0;
}

static int require(struct ctx *x, const yaml_node_t *n, const char *path, const char *const *keys,
		   const bool *seen, const int *required, size_t n_req)
{
	for (size_t i = 0; i < n_req; i++)
		if (!seen[required[i]])
			return fail(x, n, -EINVAL, "%s%s%s: required field missing", path,
				    *path ? "." : "", keys[required[i]]);
	return 0;
}

/* ---- spec.entries[] ------------------------------------------------------------------ */

enum { E_NAME, E_CRON, E_SUITE, E_ARGS, E_COUNT };
static const char *const entry_keys[] = { "name", "cron", "suite", "args" };

struct entry_ctx {
	struct fl_schedule_entry *e;
	char path[64];
};

static int entry_field(struct ctx *x, void *obj, int key, yaml_node_t *v)
{
	struct entry_ctx *ec = obj;
	struct fl_schedule_entry *e = ec->e;
	char path[96];
	const char *s;
	int r;

	(void)snprintf(path, sizeof(path), "%s.%s", ec->path, entry_keys[key]);
	switch (key) {
	case E_NAME:
		return name(x, v, path, &e->name);
	case E_CRON:
		r = scalar(x, v, path, &s);
		if (r < 0)
			return r;
		r = fl_cron_parse(s, &e->cron, x->diag);
		if (r < 0) {
			char msg[FL_DIAG_MSG_MAX] = "";

			if (x->diag)
				memcpy(msg, x->diag->msg, sizeof(msg));
			return fail(x, v, r, "%s: %s", path, msg);
		}
		return 0;
	case E_SUITE:
		return string(x, v, path, &e->suite);
	case E_ARGS:
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(x, v, -EINVAL, "%s: expected a list of strings", path);
		size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		if (n > FL_SCHED_MAX_ARGS)
			return fail(x, v, -E2BIG, "%s: more than %d arguments", path,
				    FL_SCHED_MAX_ARGS);
		e->args = calloc(n + 1, sizeof(*e->args));
		if (!e->args)
			return fail(x, v, -ENOMEM, "%s: out of memory", path);
		for (size_t i = 0; i < n; i++) {
			yaml_node_t *item = node(x, v->data.sequence.items.start[i]);
			char ipath[112];

			(void)snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
			if (!item)
				return fail(x, v, -EINVAL, "%s: bad node", ipath);
			r = scalar(x, item, ipath, &s);
			if (r < 0)
				return r;
			e->args[i] = strdup(s);
			if (!e->args[i])
				return fail(x, item, -ENOMEM, "%s: out of memory", ipath);
			e->n_args++;
		}
		return 0;
	}
	return -EINVAL;
}

static int parse_entries(struct ctx *x, struct fl_schedule *s, yaml_node_t *v)
{
	size_t n;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(x, v, -EINVAL, "spec.entries: expected a list");
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return fail(x, v, -EINVAL, "spec.entries: expected at least one entry");
	if (n > FL_SCHED_MAX_ENTRIES)
		return fail(x, v, -E2BIG, "spec.entries: more than %d entries",
			    FL_SCHED_MAX_ENTRIES);
	s->entries = calloc(n, sizeof(*s->entries));
	if (!s->entries)
		return fail(x, v, -ENOMEM, "spec.entries: out of memory");
	for (size_t i = 0; i < n; i++) {
		static const int required[] = { E_NAME, E_CRON, E_SUITE };
		yaml_node_t *item = node(x, v->data.sequence.items.start[i]);
		struct entry_ctx ec = { .e = &s->entries[i] };
		bool seen[E_COUNT] = { false };
		int r;

		if (!item)
			return fail(x, v, -EINVAL, "spec.entries: bad node");
		s->n_entries++;
		ec.e->line = (int)item->start_mark.line + 1;
		ec.e->col = (int)item->start_mark.column + 1;
		(void)snprintf(ec.path, sizeof(ec.path), "spec.entries[%zu]", i);
		r = mapping(x, item, ec.path, entry_keys, E_COUNT, seen, entry_field, &ec);
		if (r < 0)
			return r;
		r = require(x, item, ec.path, entry_keys, seen, required, FL_ARRAY_SIZE(required));
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->entries[j].name, ec.e->name) == 0)
				return fail(x, item, -EINVAL,
					    "%s.name: \"%s\" is used twice (first at line %d)",
					    ec.path, ec.e->name, s->entries[j].line);
	}
	return 0;
}

/* ---- spec ---------------------------------------------------------------------------- */

enum { S_HISTORY, S_KEEP, S_MISSED, S_TIMEOUT, S_KILL_GRACE, S_ENTRIES, S_COUNT };
static const char *const spec_keys[] = { "historyDir", "keep",	    "missedRuns",
					 "timeout",    "killGrace", "entries" };

static int spec_field(struct ctx *x, void *obj, int key, yaml_node_t *v)
{
	struct fl_schedule *s = obj;
	const char *text;
	int r;

	switch (key) {
	case S_HISTORY:
		return string(x, v, "spec.historyDir", &s->history_dir);
	case S_KEEP: {
		unsigned long keep = 0;
		size_t len;

		r = scalar(x, v, "spec.keep", &text);
		if (r < 0)
			return r;
		len = strlen(text);
		if (len == 0 || strspn(text, "0123456789") != len ||
		    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return fail(x, v, -EINVAL, "spec.keep: \"%s\" is not a number", text);
		for (size_t i = 0; i < len && keep <= FL_SCHED_KEEP_MAX; i++)
			keep = keep * 10 + (unsigned long)(text[i] - '0');
		if (keep < 1 || keep > FL_SCHED_KEEP_MAX)
			return fail(x, v, -ERANGE, "spec.keep: \"%s\" is out of range 1-%d", text,
				    FL_SCHED_KEEP_MAX);
		s->keep = (unsigned)keep;
		return 0;
	}
	case S_MISSED:
		r = scalar(x, v, "spec.missedRuns", &text);
		if (r < 0)
			return r;
		if (strcmp(text, "skip") == 0)
			s->missed = FL_MISSED_SKIP;
		else if (strcmp(text, "runOnce") == 0)
			s->missed = FL_MISSED_RUN_ONCE;
		else
			return fail(x, v, -EINVAL,
				    "spec.missedRuns: \"%s\" is not a policy (expected skip or "
				    "runOnce)",
				    text);
		return 0;
	case S_TIMEOUT:
		return duration(x, v, "spec.timeout", 7 * 86400 * 1000000000ull, "7d",
				&s->timeout_ns);
	case S_KILL_GRACE:
		return duration(x, v, "spec.killGrace", 3600 * 1000000000ull, "1h",
				&s->kill_grace_ns);
	case S_ENTRIES:
		return parse_entries(x, s, v);
	}
	return -EINVAL;
}

/* ---- the document -------------------------------------------------------------------- */

enum { T_API, T_KIND, T_META, T_SPEC, T_COUNT };
static const char *const top_keys[] = { "apiVersion", "kind", "metadata", "spec" };
static const char *const meta_keys[] = { "name" };

static int meta_field(struct ctx *x, void *obj, int key, yaml_node_t *v)
{
	(void)key;
	return name(x, v, "metadata.name", &((struct fl_schedule *)obj)->name);
}

static int top_field(struct ctx *x, void *obj, int key, yaml_node_t *v)
{
	struct fl_schedule *s = obj;
	const char *text;
	int r;

	switch (key) {
	case T_API:
		r = scalar(x, v, "apiVersion", &text);
		if (r < 0)
			return r;
		if (strcmp(text, "faultline/v1") != 0)
			return fail(x, v, -EINVAL,
				    "apiVersion: \"%s\" is not supported (expected faultline/v1)",
				    text);
		return 0;
	case T_KIND:
		r = scalar(x, v, "kind", &text);
		if (r < 0)
			return r;
		if (strcmp(text, "Schedule") != 0)
			return fail(x, v, -EINVAL, "kind: \"%s\" is not Schedule", text);
		return 0;
	case T_META: {
		static const int required[] = { 0 };
		bool seen[1] = { false };

		r = mapping(x, v, "metadata", meta_keys, 1, seen, meta_field, s);
		return r < 0 ? r : require(x, v, "metadata", meta_keys, seen, required, 1);
	}
	case T_SPEC: {
		static const int required[] = { S_HISTORY, S_ENTRIES };
		bool seen[S_COUNT] = { false };

		r = mapping(x, v, "spec", spec_keys, S_COUNT, seen, spec_field, s);
		return r < 0 ? r
			     : require(x, v, "spec", spec_keys, seen, required,
				       FL_ARRAY_SIZE(required));
	}
	}
	return -EINVAL;
}

struct fl_schedule *fl_schedule_free(struct fl_schedule *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_entries; i++) {
		struct fl_schedule_entry *e = &s->entries[i];

		free(e->name);
		free(e->suite);
		for (size_t j = 0; j < e->n_args; j++)
			free(e->args[j]);
		free(e->args);
	}
	free(s->entries);
	free(s->file);
	free(s->name);
	free(s->history_dir);
	free(s);
	return NULL;
}

int fl_schedule_parse(const char *text, size_t len, const char *file, struct fl_schedule **ret,
		      struct fl_diag *diag)
{
	static const int required[] = { T_API, T_KIND, T_META, T_SPEC };
	struct fl_schedule *s = NULL;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct ctx x = { .doc = &doc, .diag = diag, .file = file };
	bool seen[T_COUNT] = { false };
	yaml_node_t *root;
	int r;

	if (diag) {
		fl_diag_clear(diag);
		diag->file = file;
	}
	if (len > FL_SCHED_FILE_MAX)
		return fl_diag_set(diag, -EFBIG, "file larger than %d bytes", FL_SCHED_FILE_MAX);
	if (!yaml_parser_initialize(&parser))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (diag) {
			diag->line = (int)parser.problem_mark.line + 1;
			diag->col = (int)parser.problem_mark.column + 1;
		}
		r = parser.error == YAML_MEMORY_ERROR
			    ? fl_diag_set(diag, -ENOMEM, "out of memory")
			    : fl_diag_set(diag, -EINVAL, "YAML: %s",
					  parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		r = fl_diag_set(diag, -EINVAL, "empty document (expected kind: Schedule)");
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		r = fail(&x, NULL, -EINVAL, "YAML: %s", parser.problem ? parser.problem : "error");
		goto out;
	}
	bool more = yaml_document_get_root_node(&extra) != NULL;
	yaml_document_delete(&extra);
	if (more) {
		r = fail(&x, root, -EINVAL, "one document expected, the file has more");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s || (file && !(s->file = strdup(file)))) {
		r = fl_diag_set(diag, -ENOMEM, "out of memory");
		goto out;
	}
	s->keep = 30;
	s->missed = FL_MISSED_SKIP;
	s->timeout_ns = 4 * 3600 * 1000000000ull;
	s->kill_grace_ns = 60 * 1000000000ull;
	r = mapping(&x, root, "", top_keys, T_COUNT, seen, top_field, s);
	if (r >= 0)
		r = require(&x, root, "", top_keys, seen, required, FL_ARRAY_SIZE(required));
	if (r >= 0) {
		*ret = s;
		s = NULL;
	}
out:
	fl_schedule_free(s);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

/* dir/rel when rel is relative and file has a directory part. */
static int rebase(const char *file, char **path)
{
	const char *slash = strrchr(file, '/');
	char *joined;

	if ((*path)[0] == '/' || !slash)
		return 0;
	if (asprintf(&joined, "%.*s/%s", (int)(slash - file), file, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = joined;
	return 0;
}

int fl_schedule_load(const char *path, struct fl_schedule **ret, struct fl_diag *diag)
{
	struct fl_schedule *s = NULL;
	char *text;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	int r;

	if (diag) {
		fl_diag_clear(diag);
		diag->file = path;
	}
	if (!f)
		return fl_diag_set(diag, -errno, "cannot open: %s", strerror(errno));
	text = malloc(FL_SCHED_FILE_MAX + 1);
	if (!text) {
		fclose(f);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	len = fread(text, 1, FL_SCHED_FILE_MAX + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (r < 0) {
		free(text);
		return fl_diag_set(diag, r, "cannot read");
	}
	r = fl_schedule_parse(text, len, path, &s, diag);
	free(text);
	if (r < 0)
		return r;
	r = rebase(path, &s->history_dir);
	for (size_t i = 0; r >= 0 && i < s->n_entries; i++)
		r = rebase(path, &s->entries[i].suite);
	if (r < 0) {
		fl_schedule_free(s);
		return fl_diag_set(diag, r, "out of memory");
	}
	*ret = s;
	return 0;
}
