/* SPDX-License-Identifier: MIT */
/*
 * Probes and their tolerances (experiment.h): which fields each probe type takes, which
 * metrics it reports (numbers or text) and what a tolerance may say about them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"

#define MAX_TOLERANCES	16
#define DEFAULT_WINDOW	(10 * EX_NS_PER_S)
#define DEFAULT_TIMEOUT (5 * EX_NS_PER_S)
#define MAX_TIMEOUT	(3600 * EX_NS_PER_S)
#define DEBOUNCE_MAX	32

enum metric_kind { M_NUM, M_TEXT, M_ANY };

struct metric_def {
	const char *name;
	enum metric_kind kind;
};

struct type_def {
	const char *name;
	const char *const *fields; /* besides the common ones */
	struct metric_def metrics[8];
};

static const char *const kafka_throughput_fields[] = { "bootstrap", "topic", "topicRegex", "window",
						       NULL };
static const char *const kafka_lag_fields[] = { "bootstrap", "group", "window", NULL };
static const char *const kafka_partitions_fields[] = { "bootstrap", "topic", "topicRegex", NULL };
static const char *const kafka_e2e_fields[] = { "bootstrap", "topic", NULL };
static const char *const http_fields[] = { "url", "method", "json", NULL };
static const char *const prometheus_fields[] = { "url", "query", NULL };
static const char *const hook_fields[] = { "hook", "metric", NULL };
static const char *const pod_fields[] = { "target", "container", NULL };
static const char *const kube_fields[] = { "namespace", "selector", "fieldSelector", "names",
					   NULL };

/* Indexed by enum fl_probe_type; the first metric is the default. */
static const struct type_def types[] = {
	[FL_PROBE_KAFKA_THROUGHPUT] = { "kafka.throughput",
					kafka_throughput_fields,
					{ { "rate", M_NUM },
					  { "messages", M_NUM },
					  { "partitions", M_NUM } } },
	[FL_PROBE_KAFKA_LAG] = { "kafka.consumerLag",
				 kafka_lag_fields,
				 { { "lag.max", M_NUM },
				   { "lag.sum", M_NUM },
				   { "status", M_TEXT },
				   { "partitions", M_NUM },
				   { "partitions.stalled", M_NUM },
				   { "partitions.rewound", M_NUM },
				   { "partitions.warn", M_NUM },
				   { "committed.advance", M_NUM } } },
	[FL_PROBE_KAFKA_PARTITIONS] = { "kafka.partitions",
					kafka_partitions_fields,
					{ { "underReplicated", M_NUM },
					  { "offline", M_NUM },
					  { "underMinIsr", M_NUM },
					  { "partitions", M_NUM },
					  { "leader", M_NUM } } },
	[FL_PROBE_KAFKA_E2E] = { "kafka.e2e",
				 kafka_e2e_fields,
				 { { "latencyMs", M_NUM }, { "lost", M_NUM } } },
	[FL_PROBE_HTTP] = { "http",
			    http_fields,
			    { { "status", M_NUM }, { "latencyMs", M_NUM }, { "value", M_ANY } } },
	[FL_PROBE_PROMETHEUS] = { "prometheus", prometheus_fields, { { "value", M_NUM } } },
	[FL_PROBE_HOOK] = { "hook", hook_fields, { { "value", M_ANY } } },
	[FL_PROBE_POD] = { "pod",
			   pod_fields,
			   { { "restarts", M_NUM },
			     { "pods", M_NUM },
			     { "running", M_NUM },
			     { "tcp.retransmits", M_NUM },
			     { "tcp.segments", M_NUM } } },
	[FL_PROBE_KUBE_READY] = { "kubernetes.podsReady",
				  kube_fields,
				  { { "ready", M_NUM },
				    { "pods", M_NUM },
				    { "deleted.gone", M_NUM },
				    { "replacements.ready", M_NUM } } },
	[FL_PROBE_KUBE_RESTARTS] = { "kubernetes.restarts",
				     kube_fields,
				     { { "restarts", M_NUM }, { "pods", M_NUM } } },
};

#define N_TYPES FL_ARRAY_SIZE(types)
#define TYPE_LIST                                                                              \
	"kafka.throughput, kafka.consumerLag, kafka.partitions, kafka.e2e, http, prometheus, " \
	"hook, pod, kubernetes.podsReady, kubernetes.restarts"

const char *fl_probe_type_name(enum fl_probe_type type)
{
	return (unsigned)type < N_TYPES ? types[type].name : "unknown";
}

int fl_probe_type_parse(const char *text, enum fl_probe_type *ret)
{
	for (unsigned t = 0; text && t < N_TYPES; t++) {
		if (strcmp(text, types[t].name) == 0) {
			*ret = (enum fl_probe_type)t;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fl_probe_default_metric(enum fl_probe_type type)
{
	return (unsigned)type < N_TYPES ? types[type].metrics[0].name : NULL;
}

void fl_exp_probe_clear(struct fl_probe_spec *p)
{
	free(p->name);
	free(p->bootstrap);
	free(p->topic);
	free(p->topic_regex);
	free(p->group);
	free(p->url);
	free(p->method);
	free(p->json_field);
	free(p->prometheus_url);
	free(p->query);
	free(p->hook);
	free(p->hook_metric);
	free(p->target);
	free(p->container);
	if (p->kube) {
		fl_exp_target_clear(p->kube);
		free(p->kube);
	}
	for (unsigned i = 0; i < p->n_tolerances; i++) {
		free(p->tolerances[i].metric);
		free(p->tolerances[i].equals_text);
		free(p->tolerances[i].regex);
	}
	free(p->tolerances);
	memset(p, 0, sizeof(*p));
}

/* ---- tolerances ----------------------------------------------------------------------- */

static const struct metric_def *find_metric(enum fl_probe_type type, const char *name)
{
	for (unsigned i = 0; i < FL_ARRAY_SIZE(types[type].metrics); i++)
		if (types[type].metrics[i].name && strcmp(types[type].metrics[i].name, name) == 0)
			return &types[type].metrics[i];
	return NULL;
}

static int metric_list(enum fl_probe_type type, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < FL_ARRAY_SIZE(types[type].metrics); i++) {
		int w;

		if (!types[type].metrics[i].name)
			break;
		w = snprintf(buf + o, size - o, "%s%s", o ? ", " : "", types[type].metrics[i].name);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
	return 0;
}

/* A finite number at map[key]. */
static int get_number(struct exp_ctx *c, const struct fl_ynode *n, double *ret)
{
	double v;
	int r;

	if (fl_ynode_type(n) != FL_YTYPE_INT && fl_ynode_type(n) != FL_YTYPE_FLOAT)
		return fl_exp_want(c, n, FL_YTYPE_FLOAT, "a number");
	r = fl_ynode_number(n, &v);
	if (r < 0 || !isfinite(v)) {
		char q[EX_QUOTE];

		return fl_exp_err(c, n, "%s is not a finite number", fl_exp_quote(n, q, sizeof(q)));
	}
	*ret = v;
	return 0;
}

static int get_number_key(struct exp_ctx *c, const struct fl_ynode *map, const char *key,
			  bool *ret_has, double *ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	size_t old;
	int r;

	if (!n)
		return 0;
	old = fl_exp_push_key(c, key);
	r = get_number(c, n, ret);
	fl_exp_pop(c, old);
	if (r == 0)
		*ret_has = true;
	return r;
}

/* What a tolerance's rules are checked against: its probe and the metric it names. */
struct tol_ctx {
	enum fl_probe_type type;
	enum exp_probe_where where;
	bool has_json;
	const struct metric_def *m;
	const char *metric; /* borrowed: the tolerance's own or the type's default */
};

/*
 * {min, max} of a change (delta, percentChange): at least one, and min not above max.
 * empty_msg says what the map is for when neither is given.
 */
static int parse_change_bounds(struct exp_ctx *c, const struct fl_ynode *v, bool *has_min,
			       double *min, bool *has_max, double *max, const char *empty_msg)
{
	static const char *const allowed[] = { "min", "max", NULL };
	int r;

	if ((r = fl_exp_map(c, v, allowed)) < 0 ||
	    (r = get_number_key(c, v, "min", has_min, min)) < 0 ||
	    (r = get_number_key(c, v, "max", has_max, max)) < 0)
		return r;
	if (!*has_min && !*has_max)
		return fl_exp_err(c, v, "%s", empty_msg);
	if (*has_min && *has_max && *min > *max)
		return fl_exp_err(c, v, "min %g is above max %g", *min, *max);
	return 0;
}

/*
 * delta: {min, max} and changed: true compare with a reference sample, which only a
 * steady-state probe (after vs before) and an effect step (vs its baseline) have.
 */
static int parse_reference_rules(struct exp_ctx *c, const struct fl_ynode *n,
				 const struct tol_ctx *k, struct fl_tolerance *t)
{
	const struct fl_ynode *d = fl_ynode_get(n, "delta"), *ch = fl_ynode_get(n, "changed");
	size_t old;
	int r = 0;

	if ((d || ch) && k->where != EXP_PROBE_STEADY && k->where != EXP_PROBE_EFFECT)
		return fl_exp_err_key(
			c, d ? fl_exp_key_node(n, "delta") : fl_exp_key_node(n, "changed"),
			d ? "delta" : "changed",
			"needs a reference sample: only in steadyState probes (compared "
			"with the value before injection) and effect steps (compared with "
			"their baseline)");
	if (d) {
		old = fl_exp_push_key(c, "delta");
		if (k->m->kind == M_TEXT)
			r = fl_exp_err(c, d,
				       "metric %s is text (a delta needs a number; use changed)",
				       k->metric);
		else
			r = parse_change_bounds(
				c, d, &t->has_delta_min, &t->delta_min, &t->has_delta_max,
				&t->delta_max,
				"expected min or max (the change from the reference, "
				"in the metric's unit, e.g. {min: 160})");
		fl_exp_pop(c, old);
		if (r < 0)
			return r;
	}
	if (ch) {
		if ((r = fl_exp_bool(c, n, "changed", &t->changed)) < 0)
			return r;
		if (!t->changed)
			return fl_exp_err_key(
				c, fl_exp_key_node(n, "changed"), "changed",
				"false says nothing (write changed: true, or an equals "
				"rule)");
	}
	return 0;
}

/* metric: one of the type's (default: its first); http's "value" needs the json field. */
static int resolve_metric(struct exp_ctx *c, const struct fl_ynode *n, struct tol_ctx *k,
			  struct fl_tolerance *t)
{
	char q[EX_QUOTE], list[256];
	int r;

	if ((r = fl_exp_str(c, n, "metric", FL_EXP_NAME_MAX, false, &t->metric)) < 0)
		return r;
	k->metric = t->metric ? t->metric : fl_probe_default_metric(k->type);
	if (!(k->m = find_metric(k->type, k->metric))) {
		metric_list(k->type, list, sizeof(list));
		return fl_exp_err_key(c, fl_ynode_get(n, "metric"), "metric",
				      "%s is not a metric of %s (expected one of %s)",
				      fl_exp_quote(fl_ynode_get(n, "metric"), q, sizeof(q)),
				      types[k->type].name, list);
	}
	if (k->type == FL_PROBE_HTTP && strcmp(k->metric, "value") == 0 && !k->has_json)
		return fl_exp_err_key(
			c, fl_ynode_get(n, "metric"), "metric",
			"\"value\" needs the probe's json field (a JSON pointer into the "
			"response, e.g. \"/status\")");
	return 0;
}

/* range: [min, max], instead of min and max. */
static int parse_range(struct exp_ctx *c, const struct fl_ynode *v, struct fl_tolerance *t)
{
	size_t old;
	int r = 0;

	if (t->has_min || t->has_max)
		r = fl_exp_err(c, v, "not allowed with min or max (a range sets both)");
	else if ((r = fl_exp_want(c, v, FL_YTYPE_SEQ, "a list [min, max]")) == 0 && v->n != 2)
		r = fl_exp_err(c, v, "expected a list [min, max], got %u entries", v->n);
	if (r < 0)
		return r;
	old = fl_exp_push_index(c, 0);
	r = get_number(c, v->items[0], &t->min);
	fl_exp_pop(c, old);
	old = fl_exp_push_index(c, 1);
	if (r == 0)
		r = get_number(c, v->items[1], &t->max);
	fl_exp_pop(c, old);
	if (r == 0)
		t->has_min = t->has_max = true;
	return r;
}

/* min, max or range; min not above max. */
static int parse_bounds(struct exp_ctx *c, const struct fl_ynode *n, const struct tol_ctx *k,
			struct fl_tolerance *t)
{
	const struct fl_ynode *v;
	size_t old;
	int r;

	(void)k;
	if ((r = get_number_key(c, n, "min", &t->has_min, &t->min)) < 0 ||
	    (r = get_number_key(c, n, "max", &t->has_max, &t->max)) < 0)
		return r;
	if ((v = fl_ynode_get(n, "range"))) {
		old = fl_exp_push_key(c, "range");
		r = parse_range(c, v, t);
		fl_exp_pop(c, old);
		if (r < 0)
			return r;
	}
	if (t->has_min && t->has_max && t->min > t->max)
		return fl_exp_err(c, n, "min %g is above max %g", t->min, t->max);
	return 0;
}

/* equals: a number for a numeric metric, a string for a text one. */
static int parse_equals(struct exp_ctx *c, const struct fl_ynode *v, const struct tol_ctx *k,
			struct fl_tolerance *t)
{
	enum fl_ytype ty = fl_ynode_type(v);
	char q[EX_QUOTE];
	int r;

	if (ty == FL_YTYPE_INT || ty == FL_YTYPE_FLOAT) {
		if (k->m->kind == M_TEXT)
			return fl_exp_err(c, v,
					  "metric %s is text: expected a string (e.g. \"OK\")",
					  k->metric);
		if ((r = get_number(c, v, &t->equals)) == 0)
			t->has_equals = true;
		return r;
	}
	if (ty == FL_YTYPE_STRING) {
		if (k->m->kind == M_NUM)
			return fl_exp_err(c, v, "metric %s is a number: expected a number, got %s",
					  k->metric, fl_exp_quote(v, q, sizeof(q)));
		return fl_exp_str_node(c, v, 1024, false, &t->equals_text);
	}
	return fl_exp_want(c, v, FL_YTYPE_STRING, "a number or a string");
}

static int parse_regex_rule(struct exp_ctx *c, const struct fl_ynode *v, const struct tol_ctx *k,
			    struct fl_tolerance *t)
{
	int r;

	if (k->m->kind == M_NUM)
		return fl_exp_err(c, v, "metric %s is a number (use min, max, range or equals)",
				  k->metric);
	if ((r = fl_exp_str_node(c, v, 1024, false, &t->regex)) == 0)
		r = fl_exp_regex(c, v, t->regex);
	return r;
}

/* Checked after equals and regex, so that their errors come first. */
static int check_text_bounds(struct exp_ctx *c, const struct fl_ynode *n, const struct tol_ctx *k,
			     struct fl_tolerance *t)
{
	if (k->m->kind == M_TEXT && (t->has_min || t->has_max))
		return fl_exp_err(c, n, "metric %s is text (use equals or regex)", k->metric);
	return 0;
}

static int parse_percent_change(struct exp_ctx *c, const struct fl_ynode *v,
				const struct tol_ctx *k, struct fl_tolerance *t)
{
	if (k->m->kind == M_TEXT)
		return fl_exp_err(c, v, "metric %s is text (a change needs a number)", k->metric);
	return parse_change_bounds(c, v, &t->has_change_min, &t->change_min, &t->has_change_max,
				   &t->change_max,
				   "expected min or max (percent, e.g. {min: -20})");
}

static int check_says_something(struct exp_ctx *c, const struct fl_ynode *n,
				const struct tol_ctx *k, struct fl_tolerance *t)
{
	(void)k;
	if (!t->has_min && !t->has_max && !t->has_equals && !t->equals_text && !t->regex &&
	    !t->has_change_min && !t->has_change_max && !t->has_delta_min && !t->has_delta_max &&
	    !t->changed)
		return fl_exp_err(c, n,
				  "says nothing (expected at least one of min, max, range, equals, "
				  "regex, delta, changed, percentChange)");
	return 0;
}

/*
 * The rules of a tolerance in the order their errors are reported (fixtures assert which
 * error wins). A step with a key runs only when the key is present, on its value and with
 * the key on the path; a step without one checks the whole tolerance.
 */
static const struct tol_step {
	const char *key;
	int (*parse)(struct exp_ctx *c, const struct fl_ynode *n, const struct tol_ctx *k,
		     struct fl_tolerance *t);
} tol_steps[] = {
	{ NULL, parse_bounds },
	{ "equals", parse_equals },
	{ "regex", parse_regex_rule },
	{ NULL, check_text_bounds },
	{ "percentChange", parse_percent_change },
	{ NULL, parse_reference_rules },
	{ NULL, check_says_something },
};

static int parse_tolerance(struct exp_ctx *c, const struct fl_ynode *n, enum fl_probe_type type,
			   enum exp_probe_where where, bool has_json, struct fl_tolerance *t)
{
	static const char *const allowed[] = { "metric",	"min",	 "max",	  "range",
					       "equals",	"regex", "delta", "changed",
					       "percentChange", NULL };
	struct tol_ctx k = { .type = type, .where = where, .has_json = has_json };
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0)
		return r;
	t->pos = fl_exp_pos(c, n);
	if ((r = resolve_metric(c, n, &k, t)) < 0)
		return r;
	for (unsigned i = 0; i < FL_ARRAY_SIZE(tol_steps); i++) {
		const struct tol_step *s = &tol_steps[i];
		const struct fl_ynode *v;
		size_t old;

		if (!s->key) {
			r = s->parse(c, n, &k, t);
		} else if ((v = fl_ynode_get(n, s->key))) {
			old = fl_exp_push_key(c, s->key);
			r = s->parse(c, v, &k, t);
			fl_exp_pop(c, old);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_tolerances(struct exp_ctx *c, const struct fl_ynode *probe_node,
			    enum exp_probe_where where, struct fl_probe_spec *p)
{
	const struct fl_ynode *n = fl_ynode_get(probe_node, "tolerance");
	const struct fl_ynode *const *list = NULL;
	unsigned count = 0;
	size_t old;
	int r = 0;

	if (!n) {
		if (where == EXP_PROBE_METHOD)
			return 0;
		return fl_exp_err_key(
			c, probe_node, "tolerance",
			where == EXP_PROBE_EFFECT
				? "required (the effect the faults must have, e.g. "
				  "{metric: restarts, delta: {min: 1}})"
				: "required (what the steady state is, e.g. {max: 5000})");
	}
	old = fl_exp_push_key(c, "tolerance");
	if (n->kind == FL_YNODE_SEQ) {
		list = (const struct fl_ynode *const *)n->items;
		count = n->n;
		if (count == 0 || count > MAX_TOLERANCES)
			r = fl_exp_err(c, n, "%u rules; expected 1 to %d", count, MAX_TOLERANCES);
	} else if (n->kind == FL_YNODE_MAP) {
		list = &n;
		count = 1;
	} else {
		r = fl_exp_want(c, n, FL_YTYPE_MAP, "a mapping or a list of mappings");
	}
	if (r == 0 && !(p->tolerances = calloc(count, sizeof(*p->tolerances))))
		r = -ENOMEM;
	for (unsigned i = 0; r == 0 && i < count; i++) {
		size_t o2 = n->kind == FL_YNODE_SEQ ? fl_exp_push_index(c, i) : c->len;

		r = parse_tolerance(c, list[i], p->type, where, p->json_field != NULL,
				    &p->tolerances[i]);
		p->n_tolerances = i + 1; /* freed by fl_exp_probe_clear even when half-done */
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

/* ---- probe fields ---------------------------------------------------------------------- */

static bool in_list(const char *const *list, const struct fl_ynode *key)
{
	for (; *list; list++)
		if (strlen(*list) == key->len && memcmp(*list, key->text, key->len) == 0)
			return true;
	return false;
}

/* Every key is common or the type's; a key of another type is named as such. */
static int check_fields(struct exp_ctx *c, const struct fl_ynode *n, enum fl_probe_type type,
			enum exp_probe_where where)
{
	static const char *const common[] = { "name",	   "type",     "timeout",
					      "tolerance", "onNoData", NULL };
	const char *allowed[24];
	unsigned k = 0;

	for (const char *const *a = common; *a; a++)
		allowed[k++] = *a;
	if (where == EXP_PROBE_ABORT)
		allowed[k++] = "debounce";
	for (const char *const *a = types[type].fields; *a; a++)
		allowed[k++] = *a;
	allowed[k] = NULL;

	for (unsigned i = 0; i < n->n; i++) {
		const struct fl_ynode *key = n->keys[i];
		char only[160] = "";
		size_t o = 0;

		if (in_list(allowed, key))
			continue;
		if (key->len == 8 && memcmp(key->text, "debounce", 8) == 0)
			return fl_exp_err_key(c, key, "debounce",
					      "only for abort probes (a continuous check)");
		for (unsigned t = 0; t < N_TYPES; t++) {
			int w;

			if (!in_list(types[t].fields, key))
				continue;
			w = snprintf(only + o, sizeof(only) - o, "%s%s", o ? ", " : "",
				     types[t].name);
			if (w > 0 && (size_t)w < sizeof(only) - o)
				o += (size_t)w;
		}
		if (o)
			return fl_exp_err_key(c, key, key->text,
					      "not allowed for type %s (only for %s)",
					      types[type].name, only);
		return fl_exp_unknown_field(c, key, allowed);
	}
	return 0;
}

static int parse_debounce(struct exp_ctx *c, const struct fl_ynode *n, struct fl_probe_spec *p)
{
	const struct fl_ynode *v = fl_ynode_get(n, "debounce");
	unsigned k, m;
	char q[EX_QUOTE], tail;
	char *s = NULL;
	int r;

	p->debounce_k = p->debounce_n = 1;
	if (!v)
		return 0;
	if ((r = fl_exp_str(c, n, "debounce", 16, false, &s)) < 0)
		return r;
	r = sscanf(s, "%u/%u%c", &k, &m, &tail);
	if (r != 2 || s[0] < '0' || s[0] > '9' || !strchr(s, '/') || strchr(s, '/')[1] < '0' ||
	    strchr(s, '/')[1] > '9' || k < 1 || k > m || m > DEBOUNCE_MAX) {
		free(s);
		return fl_exp_err_key(
			c, v, "debounce",
			"%s is not k/n with 1 <= k <= n <= %d (breach when k of the last "
			"n samples fail, e.g. \"2/3\")",
			fl_exp_quote(v, q, sizeof(q)), DEBOUNCE_MAX);
	}
	free(s);
	p->debounce_k = k;
	p->debounce_n = m;
	return 0;
}

int fl_exp_parse_probe(struct exp_ctx *c, const struct fl_ynode *n, enum exp_probe_where where,
		       const struct fl_experiment *e, struct fl_probe_spec *p)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	char *type = NULL;
	int r;

	if ((r = fl_exp_want(c, n, FL_YTYPE_MAP, "a mapping (a probe)")) < 0)
		return r;
	p->pos = fl_exp_pos(c, n);
	p->window_ns = DEFAULT_WINDOW;
	p->timeout_ns = DEFAULT_TIMEOUT;
	p->on_no_data = FL_NODATA_INCONCLUSIVE;
	p->debounce_k = p->debounce_n = 1;
	if ((r = fl_exp_str(c, n, "type", 64, true, &type)) < 0)
		return r;
	r = fl_probe_type_parse(type, &p->type);
	free(type);
	if (r < 0)
		return fl_exp_err_key(c, fl_ynode_get(n, "type"), "type",
				      "%s is not a probe type (expected one of " TYPE_LIST ")",
				      fl_exp_quote(fl_ynode_get(n, "type"), q, sizeof(q)));
	if ((r = check_fields(c, n, p->type, where)) < 0 ||
	    (r = fl_exp_name(c, n, "name", true, &p->name)) < 0 ||
	    (r = fl_exp_parse_probe_fields(c, n, e, p)) < 0 ||
	    (r = fl_exp_duration(c, n, "timeout", MAX_TIMEOUT, &p->timeout_ns)) < 0 ||
	    (r = fl_exp_duration(c, n, "window", EX_DAY_NS, &p->window_ns)) < 0 ||
	    (r = parse_debounce(c, n, p)) < 0)
		return r;
	if ((v = fl_ynode_get(n, "onNoData"))) {
		char *s = NULL;

		if ((r = fl_exp_str(c, n, "onNoData", 32, false, &s)) < 0)
			return r;
		if (strcmp(s, "inconclusive") == 0)
			p->on_no_data = FL_NODATA_INCONCLUSIVE;
		else if (strcmp(s, "pass") == 0)
			p->on_no_data = FL_NODATA_PASS;
		else if (strcmp(s, "fail") == 0)
			p->on_no_data = FL_NODATA_FAIL;
		else
			r = fl_exp_err_key(c, v, "onNoData",
					   "%s is not one of inconclusive, pass, fail",
					   fl_exp_quote(v, q, sizeof(q)));
		free(s);
		if (r < 0)
			return r;
	}
	return parse_tolerances(c, n, where, p);
}
