/* SPDX-License-Identifier: MIT */
/*
 * A YAML document as a small tree of nodes that remember their line and column, loaded
 * with libyaml's event parser. Only what an experiment file needs: mappings with scalar
 * keys, sequences, scalars. Refused with a message (and the position): anchors and
 * aliases, explicit tags, complex keys, duplicate keys, more than one document, nesting
 * deeper than max_depth.
 *
 * Scalars keep their text; fl_ynode_type() tells what a plain scalar means under the
 * YAML 1.2 core schema (null, true/false, integers, floats; everything else a string).
 * Quoted and block scalars are always strings.
 *
 * Ownership: the tree owns every node and string; free the root with fl_ynode_free().
 */
#ifndef FL_YAML_TREE_H
#define FL_YAML_TREE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fl/diag.h"

enum fl_ynode_kind {
	FL_YNODE_SCALAR,
	FL_YNODE_MAP,
	FL_YNODE_SEQ,
};

enum fl_ytype {
	FL_YTYPE_NULL,
	FL_YTYPE_BOOL,
	FL_YTYPE_INT,
	FL_YTYPE_FLOAT,
	FL_YTYPE_STRING,
	FL_YTYPE_MAP,
	FL_YTYPE_SEQ,
};

struct fl_ynode {
	enum fl_ynode_kind kind;
	int line, col; /* 1-based, where the node starts */
	/* SCALAR */
	char *text; /* NUL-terminated (may also hold NULs: use len) */
	size_t len;
	bool plain; /* unquoted: typed by fl_ynode_type() */
	/* MAP: keys[i] (scalars) -> items[i]; SEQ: items[i] */
	struct fl_ynode **keys;
	struct fl_ynode **items;
	unsigned n;
	unsigned cap; /* allocated entries */
};

/*
 * Parse text (len bytes, no NUL needed) into a tree. Returns 0 and a new root (a document
 * that is empty or only comments gives -ENODATA), -EINVAL with diag (line, col, msg), or
 * -ENOMEM. diag->file is not touched.
 */
int fl_ytree_load(const char *text, size_t len, unsigned max_depth, struct fl_ynode **ret,
		  struct fl_diag *diag) _wur_;

/* NULL-safe; returns NULL. */
struct fl_ynode *fl_ynode_free(struct fl_ynode *node);

/* What a node means (plain scalars typed by the YAML 1.2 core schema). */
enum fl_ytype fl_ynode_type(const struct fl_ynode *node);
/* "a string", "an integer", "a mapping", ... for messages. */
const char *fl_ytype_desc(enum fl_ytype type);

/* The value of key in a mapping (borrowed), or NULL. */
const struct fl_ynode *fl_ynode_get(const struct fl_ynode *map, const char *key);

/* Integer / float value of an INT / FLOAT node. -ERANGE when it does not fit, -EINVAL when
 * the node is of another type. Floats include .inf / .nan (callers decide). */
int fl_ynode_int(const struct fl_ynode *node, int64_t *ret) _wur_;
int fl_ynode_uint(const struct fl_ynode *node, uint64_t *ret) _wur_;
int fl_ynode_number(const struct fl_ynode *node, double *ret) _wur_;

/*
 * The node as JSON (new reference): mappings become objects, sequences arrays, scalars by
 * their type (integers beyond int64 become reals). Returns 0, or -ENOMEM.
 */
int fl_ynode_to_json(const struct fl_ynode *node, json_t **ret) _wur_;

#endif
