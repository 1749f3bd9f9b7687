/* SPDX-License-Identifier: MIT */
/*
 * Experiment and Suite files (experiment.h): reading them (bounded), the document header
 * (apiVersion, kind), a Suite's included files and defaults, and freeing. The fields of
 * an experiment are read by exp_spec.c, exp_probe.c and exp_fault.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp_internal.h"
#include "experiment.h"

#define API_VERSION   "faultline/v1"
#define FILE_PATH_MAX 4096

/*
 * Where an error in an included file is reported: diag->file must outlive the suite that
 * is freed on error, so it points here (valid until the next parse on this thread).
 */
static __thread char error_file[FILE_PATH_MAX];

struct state {
	struct fl_suite *suite;
	const char *dir; /* includes are relative to it; NULL: the current directory */
	struct fl_diag *diag;
};

struct fl_suite *fl_suite_free(struct fl_suite *suite)
{
	if (!suite)
		return NULL;
	free(suite->name);
	free(suite->description);
	for (unsigned i = 0; i < suite->n_experiments; i++)
		fl_exp_experiment_clear(&suite->experiments[i]);
	free(suite->experiments);
	for (unsigned i = 0; i < suite->n_files; i++)
		free(suite->files[i]);
	free(suite->files);
	free(suite);
	return NULL;
}

/* Remember a file name in the suite; returns the suite's copy (borrowed) or NULL. */
static const char *add_file(struct fl_suite *suite, const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return NULL;
	suite->files[suite->n_files++] = copy;
	return copy;
}

/* regular_only: refuse pipes and devices (an included "/dev/stdin" would wait forever). */
static int read_file(const char *path, bool regular_only, char **ret, size_t *ret_len)
{
	struct stat st;
	size_t len = 0, cap;
	char *buf;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (regular_only && !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_size > FL_EXP_FILE_MAX) {
		r = -EFBIG;
		goto out;
	}
	/* Pipes and /proc files say 0: read until EOF, never past the limit. */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if (!(buf = malloc(cap))) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *bigger;

			if (cap > FL_EXP_FILE_MAX) {
				free(buf);
				r = -EFBIG;
				goto out;
			}
			cap = FL_MIN(cap * 2, (size_t)FL_EXP_FILE_MAX + 1);
			if (!(bigger = realloc(buf, cap))) {
				free(buf);
				r = -ENOMEM;
				goto out;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			free(buf);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FL_EXP_FILE_MAX) {
		free(buf);
		r = -EFBIG;
		goto out;
	}
	*ret = buf;
	*ret_len = len;
out:
	(void)close(fd);
	return r;
}

/* Load one document and check its header; returns the root mapping (owned). */
static int load_doc(struct exp_ctx *c, const char *text, size_t len, const char **ret_kind,
		    struct fl_ynode **ret_root)
{
	static const char *const allowed[] = { "apiVersion", "kind", "metadata", "spec", NULL };
	struct fl_ynode *root = NULL;
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	int r;

	if (len > FL_EXP_FILE_MAX)
		return fl_diag_set(c->diag, -EFBIG, "%zu bytes is above the maximum %d", len,
				   FL_EXP_FILE_MAX);
	r = fl_ytree_load(text, len, FL_EXP_MAX_DEPTH, &root, c->diag);
	if (r == -ENODATA) {
		c->diag->line = 1;
		c->diag->col = 1;
		r = fl_diag_set(c->diag, -EINVAL,
				"empty (expected apiVersion: " API_VERSION
				", kind: Experiment or Suite, metadata, spec)");
	}
	if (r < 0) {
		c->diag->file = c->file;
		return r;
	}
	if ((r = fl_exp_map(c, root, allowed)) < 0)
		goto fail;
	if (!(v = fl_ynode_get(root, "apiVersion"))) {
		r = fl_exp_err_key(c, root, "apiVersion", "required (" API_VERSION ")");
		goto fail;
	}
	if (fl_ynode_type(v) != FL_YTYPE_STRING || strcmp(v->text, API_VERSION) != 0) {
		r = fl_exp_err_key(c, v, "apiVersion", "%s is not " API_VERSION,
				   fl_exp_quote(v, q, sizeof(q)));
		goto fail;
	}
	if (!(v = fl_ynode_get(root, "kind"))) {
		r = fl_exp_err_key(c, root, "kind", "required (Experiment or Suite)");
		goto fail;
	}
	if (fl_ynode_type(v) != FL_YTYPE_STRING ||
	    (strcmp(v->text, "Experiment") != 0 && strcmp(v->text, "Suite") != 0)) {
		r = fl_exp_err_key(c, v, "kind", "%s is not one of Experiment, Suite",
				   fl_exp_quote(v, q, sizeof(q)));
		goto fail;
	}
	*ret_kind = v->text;
	*ret_root = root;
	return 0;
fail:
	fl_ynode_free(root);
	return r;
}

static int check_unique_experiment(struct exp_ctx *c, const struct fl_suite *suite,
				   const struct fl_ynode *at)
{
	const struct fl_experiment *e = &suite->experiments[suite->n_experiments - 1];

	for (unsigned i = 0; i + 1 < suite->n_experiments; i++)
		if (strcmp(suite->experiments[i].name, e->name) == 0)
			return fl_exp_err(
				c, at,
				"experiment \"%s\" is already in the suite (spec.experiments[%u])",
				e->name, i);
	return 0;
}

/* spec.experiments[i] = {file: PATH}: an Experiment file relative to the suite. */
static int include_file(struct state *st, struct exp_ctx *c, const struct fl_ynode *entry,
			const struct exp_defaults *d)
{
	struct fl_suite *suite = st->suite;
	struct fl_experiment *e = &suite->experiments[suite->n_experiments - 1];
	const struct fl_ynode *fnode = fl_ynode_get(entry, "file");
	struct exp_ctx inc = { .diag = st->diag };
	struct fl_ynode *root = NULL;
	char path[FILE_PATH_MAX], q[EX_QUOTE];
	const char *kind;
	char *name = NULL, *text = NULL;
	size_t len;
	int r;

	if ((r = fl_exp_str(c, entry, "file", FILE_PATH_MAX - 256, true, &name)) < 0)
		return r;
	if (!name[0]) {
		free(name);
		return fl_exp_err_key(c, fnode, "file",
				      "empty (expected a path, e.g. pod-delete.yaml)");
	}
	if (name[0] == '/' || !st->dir || strcmp(st->dir, ".") == 0)
		(void)snprintf(path, sizeof(path), "%s", name);
	else
		(void)snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	free(name);
	r = read_file(path, true, &text, &len);
	if (r == -ENOMEM)
		return r;
	if (r == -EFBIG) {
		(void)fl_exp_err_key(c, fnode, "file", "%s is larger than the maximum %d bytes",
				     fl_exp_quote(fnode, q, sizeof(q)), FL_EXP_FILE_MAX);
		return r;
	}
	if (r == -EINVAL)
		return fl_exp_err_key(c, fnode, "file", "%s is not a regular file",
				      fl_exp_quote(fnode, q, sizeof(q)));
	if (r < 0) {
		int err = r;

		(void)fl_exp_err_key(c, fnode, "file", "cannot read %s: %s",
				     fl_exp_quote(fnode, q, sizeof(q)), strerror(-err));
		return err;
	}
	if (!(inc.file = add_file(suite, path))) {
		free(text);
		return -ENOMEM;
	}
	r = load_doc(&inc, text, len, &kind, &root);
	free(text);
	if (r < 0)
		return r;
	if (strcmp(kind, "Experiment") != 0)
		r = fl_exp_err_key(&inc, fl_ynode_get(root, "kind"), "kind",
				   "a suite includes Experiment files (got %s)", kind);
	else
		r = fl_exp_parse_experiment(&inc, root, fl_ynode_get(root, "metadata"),
					    fl_ynode_get(root, "spec"), d, e);
	fl_ynode_free(root);
	if (r == 0)
		r = check_unique_experiment(c, suite, fnode);
	return r;
}

static int parse_suite_spec(struct state *st, struct exp_ctx *c, const struct fl_ynode *root)
{
	static const char *const allowed[] = { "defaults", "experiments", NULL };
	static const char *const entry_file[] = { "file", NULL };
	static const char *const entry_inline[] = { "metadata", "spec", NULL };
	const struct fl_ynode *spec = fl_ynode_get(root, "spec"), *list, *v;
	struct exp_defaults d = { 0 };
	struct fl_suite *suite = st->suite;
	size_t old;
	int r;

	if (!spec)
		return fl_exp_err_key(c, root, "spec", "required (experiments: [...])");
	old = fl_exp_push_key(c, "spec");
	if ((r = fl_exp_map(c, spec, allowed)) < 0)
		goto out;
	if ((v = fl_ynode_get(spec, "defaults"))) {
		size_t o2 = fl_exp_push_key(c, "defaults");

		r = fl_exp_parse_defaults(c, v, &d);
		fl_exp_pop(c, o2);
		if (r < 0)
			goto out;
	}
	if ((r = fl_exp_seq(c, spec, "experiments", FL_EXP_MAX_EXPERIMENTS, &list)) < 0)
		goto out;
	if (!list || list->n == 0) {
		r = fl_exp_err_key(c, list ? list : spec, "experiments",
				   "required: at least one ({file: x.yaml} or {metadata, spec})");
		goto out;
	}
	if (!(suite->experiments = calloc(list->n, sizeof(*suite->experiments)))) {
		r = -ENOMEM;
		goto out;
	}
	(void)fl_exp_push_key(c, "experiments");
	for (unsigned i = 0; i < list->n && r == 0; i++) {
		const struct fl_ynode *entry = list->items[i];
		size_t o2 = fl_exp_push_index(c, i);

		suite->n_experiments = i + 1;
		if ((r = fl_exp_want(c, entry, FL_YTYPE_MAP,
				     "a mapping ({file: x.yaml} or {metadata, "
				     "spec})")) == 0) {
			if (fl_ynode_get(entry, "file")) {
				if ((r = fl_exp_map(c, entry, entry_file)) == 0)
					r = include_file(st, c, entry, &d);
			} else if ((r = fl_exp_map(c, entry, entry_inline)) == 0) {
				r = fl_exp_parse_experiment(
					c, entry, fl_ynode_get(entry, "metadata"),
					fl_ynode_get(entry, "spec"), &d, &suite->experiments[i]);
				if (r == 0)
					r = check_unique_experiment(
						c, suite,
						fl_ynode_get(fl_ynode_get(entry, "metadata"),
							     "name"));
			}
		}
		fl_exp_pop(c, o2);
	}
out:
	fl_exp_pop(c, old);
	fl_exp_defaults_clear(&d);
	return r;
}

static int parse_top(struct state *st, const char *file, const char *text, size_t len)
{
	struct exp_ctx c = { .diag = st->diag };
	struct fl_suite *suite = st->suite;
	struct fl_ynode *root = NULL;
	const char *kind;
	int r;

	if (!(c.file = add_file(suite, file)))
		return -ENOMEM;
	if ((r = load_doc(&c, text, len, &kind, &root)) < 0)
		return r;
	if (strcmp(kind, "Experiment") == 0) {
		if (!(suite->experiments = calloc(1, sizeof(*suite->experiments)))) {
			r = -ENOMEM;
			goto out;
		}
		suite->n_experiments = 1;
		r = fl_exp_parse_experiment(&c, root, fl_ynode_get(root, "metadata"),
					    fl_ynode_get(root, "spec"), NULL,
					    &suite->experiments[0]);
		if (r == 0 && ((r = fl_exp_strdup(suite->experiments[0].name, &suite->name)) < 0 ||
			       (r = fl_exp_strdup(suite->experiments[0].description,
						  &suite->description)) < 0))
			goto out;
		goto out;
	}
	if (!fl_ynode_get(root, "metadata")) {
		r = fl_exp_err_key(&c, root, "metadata", "required (at least {name: ...})");
		goto out;
	}
	if ((r = fl_exp_parse_metadata(&c, fl_ynode_get(root, "metadata"), &suite->name,
				       &suite->description)) < 0)
		goto out;
	r = parse_suite_spec(st, &c, root);
out:
	fl_ynode_free(root);
	return r;
}

static int parse(const char *name, const char *dir, const char *text, size_t len,
		 struct fl_suite **ret, struct fl_diag *diag)
{
	struct fl_diag local;
	struct state st = { .dir = dir };
	int r;

	if (!diag)
		diag = &local;
	fl_diag_clear(diag);
	diag->file = name;
	st.diag = diag;
	if (len > FL_EXP_FILE_MAX)
		return fl_diag_set(diag, -EFBIG, "%zu bytes is above the maximum %d", len,
				   FL_EXP_FILE_MAX);
	if (!(st.suite = calloc(1, sizeof(*st.suite))) ||
	    !(st.suite->files = calloc(1 + FL_EXP_MAX_EXPERIMENTS, sizeof(char *)))) {
		fl_suite_free(st.suite);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	r = parse_top(&st, name, text, len);
	if (r < 0) {
		/* diag->file may point into the suite: keep a copy that outlives it. */
		for (unsigned i = 0; i < st.suite->n_files; i++) {
			if (diag->file == st.suite->files[i]) {
				(void)snprintf(error_file, sizeof(error_file), "%s",
					       st.suite->files[i]);
				diag->file = i == 0 ? name : error_file;
			}
		}
		if (r == -ENOMEM)
			(void)fl_diag_set(diag, -ENOMEM, "out of memory");
		fl_suite_free(st.suite);
		return r;
	}
	*ret = st.suite;
	return 0;
}

int fl_suite_parse_buffer(const char *name, const char *text, size_t len, struct fl_suite **ret,
			  struct fl_diag *diag)
{
	return parse(name ? name : "<buffer>", NULL, text, len, ret, diag);
}

int fl_suite_parse_file(const char *path, struct fl_suite **ret, struct fl_diag *diag)
{
	char dir[FILE_PATH_MAX], *text = NULL;
	size_t len = 0;
	int r;

	if (diag) {
		fl_diag_clear(diag);
		diag->file = path;
	}
	if (strlen(path) >= sizeof(dir))
		return fl_diag_set(diag, -ENAMETOOLONG, "path too long");
	r = read_file(path, false, &text, &len);
	if (r == -EFBIG)
		return fl_diag_set(diag, r, "larger than the maximum %d bytes", FL_EXP_FILE_MAX);
	if (r < 0)
		return fl_diag_set(diag, r, "cannot read: %s", strerror(-r));
	memcpy(dir, path, strlen(path) + 1);
	r = parse(path, dirname(dir), text, len, ret, diag);
	free(text);
	return r;
}
