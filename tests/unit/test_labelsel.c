/* SPDX-License-Identifier: MIT */
/*
 * Label and field selectors (controller/util/labelsel.h) against Kubernetes' own rules:
 * accepted selectors with the requirements they parse to, refused ones with the offset of
 * the offending byte and the message, the limits, matching (a missing key satisfies != and
 * notin), and field selectors' escapes. Cases marked "k8s" restate ones of
 * k8s.io/apimachinery v0.37's tests (pkg/labels/selector_test.go: TestSelectorParse,
 * TestSetSelectorParser, TestSelectorMatches, TestRequirementSelectorMatching,
 * TestRequirementConstructor; pkg/fields/selector_test.go: TestSelectorParse,
 * TestEscapeValue) with this parser's expected output written for them.
 * Checked once against the Go code itself (a driver calling labels.Parse and
 * fields.ParseSelector of apimachinery v0.37.2 over 51,115 inputs: fuzz corpus, these tables,
 * random token strings): the same label selectors accepted with the same requirements, but
 * for 2 inputs over FL_LABELSEL_MAX_REQS; no field selector accepted that Go refuses (ours
 * is stricter on field names, which the server refuses anyway).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fltest.h"
#include "labelsel.h"

static const char *const OP_NAMES[] = {
	[FL_LSEL_EXISTS] = "EXISTS", [FL_LSEL_NOT_EXISTS] = "!EXISTS",
	[FL_LSEL_EQ] = "EQ",	     [FL_LSEL_NE] = "NE",
	[FL_LSEL_IN] = "IN",	     [FL_LSEL_NOTIN] = "NOTIN",
	[FL_LSEL_GT] = "GT",	     [FL_LSEL_LT] = "LT",
};

/* "key OP v1|v2; key2 OP" — the parsed form, written out for comparing. */
static void dump(const struct fl_labelsel *sel, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < sel->n && len < size; i++) {
		const struct fl_labelsel_req *r = &sel->reqs[i];

		len += (size_t)snprintf(buf + len, size - len, "%s%s %s%s", i ? "; " : "", r->key,
					OP_NAMES[r->op], r->n_values ? " " : "");
		for (unsigned j = 0; j < r->n_values && len < size; j++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", j ? "|" : "",
						r->values[j]);
	}
}

FLTEST(accepted_selectors_and_what_they_parse_to)
{
	static const struct {
		const char *in, *parsed;
	} cases[] = {
		{ "", "" },				     /* k8s */
		{ "x=a,y=b,z=c", "x EQ a; y EQ b; z EQ c" }, /* k8s */
		{ "x!=a,y=b", "x NE a; y EQ b" },	     /* k8s */
		{ "x=", "x EQ " },			     /* k8s: the value "" */
		{ "x= ", "x EQ " },			     /* k8s */
		{ "x=,z= ", "x EQ ; z EQ " },		     /* k8s */
		{ "!x", "x !EXISTS" },			     /* k8s */
		{ "x>1,z<5", "x GT 1; z LT 5" },	     /* k8s */
		{ "\rx", "x EXISTS" },			     /* k8s */
		{ "a ", "a EXISTS" },			     /* k8s */
		{ "x==a", "x EQ a" },
		{ "this-is-a-dns.domain.com/key-with-dash", /* k8s */
		  "this-is-a-dns.domain.com/key-with-dash EXISTS" },
		{ "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)", /* k8s */
		  "0.1.2.domain/99 NOTIN 10.10.100.1|tick.tack.clock" },
		{ "foo  in\t (abc)", "foo IN abc" },  /* k8s */
		{ "x notin\n (abc)", "x NOTIN abc" }, /* k8s */
		{ "x in (abc,)", "x IN abc|" },	      /* k8s */
		{ "x in (abc,abc)", "x IN abc" },     /* k8s: a set */
		{ "x in ()", "x IN " },		      /* k8s: the one value "" */
		{ "x in (a,,a,,a,,a,,)", "x IN a|" }, /* k8s */
		{ "x notin (abc,,def),bar,z in (),w", /* k8s (in source order) */
		  "x NOTIN abc||def; bar EXISTS; z IN ; w EXISTS" },
		{ "x notin ( )", "x NOTIN " },			     /* k8s */
		{ "x notin (, a)", "x NOTIN |a" },		     /* k8s */
		{ "a in (x,y,notin, z,in)", "a IN x|y|notin|z|in" }, /* k8s: keywords as values */
		{ "notin=in", "notin EQ in" },			     /* k8s */
		{ "in in (in)", "in IN in" },
		{ "app=loader,app=loader", "app EQ loader; app EQ loader" }, /* duplicates: AND */
		{ "example.com/MyName=My_value-1.2", "example.com/MyName EQ My_value-1.2" },
		{ "x>007,y<9223372036854775807", "x GT 007; y LT 9223372036854775807" },
		{ "  app = loader  ,\ttier != db\n", "app EQ loader; tier NE db" },
		{ "a-b.c/x,!a/y", "a-b.c/x EXISTS; a/y !EXISTS" },
	};
	char got[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_labelsel sel;
		struct fl_labelsel_error err = { 0 };
		int r = fl_labelsel_parse(cases[i].in, &sel, &err);

		FL_ASSERT_MSG(r == 0, "\"%s\" refused at %zu: %s", cases[i].in, err.offset,
			      err.msg);
		dump(&sel, got, sizeof(got));
		FL_ASSERT_MSG(!strcmp(got, cases[i].parsed), "\"%s\" parsed to \"%s\", want \"%s\"",
			      cases[i].in, got, cases[i].parsed);
		fl_labelsel_clear(&sel);
		FL_ASSERT(sel.n == 0 && sel.reqs == NULL);
	}
}

struct refusal {
	const char *in;
	size_t offset;
	const char *msg; /* a fragment of the message */
};

static void expect_refusals(const struct refusal *cases, size_t n, bool field)
{
	for (size_t i = 0; i < n; i++) {
		struct fl_labelsel sel = { .n = 99 };
		struct fl_labelsel_error err = { .offset = 9999 };
		int r = field ? fl_fieldsel_check(cases[i].in, &err)
			      : fl_labelsel_parse(cases[i].in, &sel, &err);

		FL_ASSERT_MSG(r == -EINVAL, "\"%s\" returned %d, want -EINVAL", cases[i].in, r);
		FL_ASSERT_MSG(err.offset == cases[i].offset && strstr(err.msg, cases[i].msg),
			      "\"%s\": offset %zu \"%s\", want offset %zu and \"%s\"", cases[i].in,
			      err.offset, err.msg, cases[i].offset, cases[i].msg);
		FL_ASSERT(field || (sel.n == 0 && sel.reqs == NULL));
	}
}

FLTEST(refused_selectors_name_the_token_and_its_offset)
{
	static const struct refusal cases[] = {
		{ "x=a||y=b", 3, "label value \"a||y\": may hold only" },		/* k8s */
		{ "x==a==b", 4, "found \"==\", expected ',' or the end" },		/* k8s */
		{ "!x=a", 2, "'!key' takes no operator" },				/* k8s */
		{ "x<a", 2, "'<' needs an integer" },					/* k8s */
		{ "x,,y", 2, "found \",\", expected '!' or a label key after ','" },	/* k8s */
		{ ",x,y", 0, "found \",\", expected '!' or a label key" },		/* k8s */
		{ "x nott in (y)", 2, "found \"nott\", expected an operator" },		/* k8s */
		{ "a in (xyz),", 10, "trailing ','" },					/* k8s */
		{ "a in (xyz)b notin ()", 10, "found \"b\", expected ',' or the end" }, /* k8s */
		{ "a in (xyz abc)", 10, "found \"abc\", expected ',' or ')'" },		/* k8s */
		{ "a notin(", 8, "found the end of the selector, expected a value" },	/* k8s */
		{ "a (", 2, "found \"(\", expected an operator" },			/* k8s */
		{ "(", 0, "found \"(\", expected '!' or a label key" },			/* k8s */
		{ "x=a,", 3, "trailing ','" },
		{ "Example.com/x", 0, "prefix must be lowercase" },
		{ "/x", 0, "the prefix before '/' is empty" },
		{ "a/", 2, "the name is empty" },
		{ "a/b/c", 3, "at most one '/'" },
		{ "a..b/x", 1, "each part between dots" },
		{ "a.-b/x", 1, "each part between dots" },
		{ "-x", 0, "name must start with a letter or digit" },
		{ "x_", 1, "name must end with a letter or digit" },
		{ "x=-a", 2, "label value \"-a\": must start" },
		{ "x=a.", 3, "must end with a letter or digit" },
		{ "x\xc3\xa9=a", 1, "may hold only letters" },
		{ "x in (a,=)", 8, "found \"=\", expected a value, ',' or ')'" },
		{ "x in a", 5, "expected '(' after 'in'" },
		{ "x in (a,-b)", 8, "label value \"-b\": must start with a letter or digit" },
		{ "x notin (ok, A_)", 14, "label value \"A_\": must end with a letter or digit" },
		{ "x notin", 7, "found the end of the selector, expected '(' after 'notin'" },
		{ "x in (a", 7, "found the end of the selector, expected ',' or ')'" },
		{ "x>", 2, "label value \"\": '>' needs an integer" },
		{ "x>-1", 2,
		  "must start with a letter or digit" }, /* ParseInt takes it, not labels */
		{ "x>9223372036854775808", 2, "needs an integer (int64)" },
		{ "x=(", 2, "found \"(\", expected a value" },
		{ "x=a b", 4, "found \"b\", expected ',' or the end" },
		{ "!", 1, "expected a label key after '!'" },
		{ "!!x", 1, "found \"!\", expected a label key after '!'" },
		{ "x!", 1, "found \"!\", expected an operator" },
		{ "x=a=b", 3, "found \"=\", expected ',' or the end" },
		{ "x >= 1", 3, "found \"=\", expected a value" },
	};

	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]), false);
}

/* Keys and values at Kubernetes' lengths and one byte past them (TestRequirementConstructor
 * refuses a 254-byte key and value). */
FLTEST(lengths_of_keys_and_values)
{
	char s[600], *p;
	struct fl_labelsel sel;
	struct fl_labelsel_error err;

	/* name 63 and value 63: accepted */
	memset(s, 'k', 63);
	s[63] = '=';
	memset(s + 64, 'v', 63);
	s[127] = '\0';
	FL_ASSERT_OK(fl_labelsel_parse(s, &sel, &err));
	FL_ASSERT_EQ(strlen(sel.reqs[0].key), 63);
	FL_ASSERT_EQ(strlen(sel.reqs[0].values[0]), 63);
	fl_labelsel_clear(&sel);
	/* a 64-byte value: the 64th byte is the offending one */
	memset(s + 64, 'v', 64);
	s[128] = '\0';
	FL_ASSERT_EQ(fl_labelsel_parse(s, &sel, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, 64 + 63);
	FL_ASSERT_CONTAINS(err.msg, "no more than 63 bytes");
	/* a 254-byte key (k8s): its name part is over 63 */
	memset(s, 'a', 254);
	s[254] = '\0';
	FL_ASSERT_EQ(fl_labelsel_parse(s, &sel, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, 63);
	/* a 253-byte prefix is a subdomain; 254 is not */
	p = s;
	for (int i = 0; i < 4; i++, p += 64) {
		memset(p, 'd', 63);
		p[63] = '.';
	}
	s[253] = '/';
	memcpy(s + 254, "n", 2);
	FL_ASSERT_OK(fl_labelsel_parse(s, &sel, &err));
	fl_labelsel_clear(&sel);
	s[253] = 'd';
	memcpy(s + 254, "/n", 3);
	FL_ASSERT_EQ(fl_labelsel_parse(s, &sel, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, 253);
	FL_ASSERT_CONTAINS(err.msg, "no more than 253 bytes");
}

FLTEST(limits_name_their_figure)
{
	static char s[FL_LABELSEL_MAX_LEN + 64];
	struct fl_labelsel sel;
	struct fl_labelsel_error err;
	size_t len = 0;

	/* 64 requirements: accepted; a 65th: refused where it starts */
	for (int i = 0; i < FL_LABELSEL_MAX_REQS; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%sk%d", i ? "," : "", i);
	FL_ASSERT_OK(fl_labelsel_parse(s, &sel, &err));
	FL_ASSERT_EQ(sel.n, FL_LABELSEL_MAX_REQS);
	fl_labelsel_clear(&sel);
	snprintf(s + len, sizeof(s) - len, ",extra");
	FL_ASSERT_EQ(fl_labelsel_parse(s, &sel, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, len + 1);
	FL_ASSERT_CONTAINS(err.msg, "more than 64 requirements");

	/* 64 values in a list: accepted; 65 (duplicates count as written): refused */
	len = (size_t)snprintf(s, sizeof(s), "x in (");
	for (int i = 0; i < FL_LABELSEL_MAX_VALS; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%sv%d", i ? "," : "", i % 60);
	snprintf(s + len, sizeof(s) - len, ")");
	FL_ASSERT_OK(fl_labelsel_parse(s, &sel, &err));
	FL_ASSERT_EQ(sel.reqs[0].n_values, 60);
	fl_labelsel_clear(&sel);
	snprintf(s + len, sizeof(s) - len, ",v1)");
	FL_ASSERT_EQ(fl_labelsel_parse(s, &sel, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, len + 1);
	FL_ASSERT_CONTAINS(err.msg, "more than 64 values");

	/* 4096 bytes: accepted (spaces are allowed); 4097: refused at byte 4096 */
	memset(s, ' ', FL_LABELSEL_MAX_LEN);
	s[0] = 'x';
	s[FL_LABELSEL_MAX_LEN] = '\0';
	FL_ASSERT_OK(fl_labelsel_parse(s, &sel, &err));
	fl_labelsel_clear(&sel);
	memcpy(s + FL_LABELSEL_MAX_LEN, " ", 2);
	FL_ASSERT_EQ(fl_labelsel_parse(s, &sel, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, FL_LABELSEL_MAX_LEN);
	FL_ASSERT_CONTAINS(err.msg, "longer than 4096 bytes");
	FL_ASSERT_EQ(fl_fieldsel_check(s, &err), -EINVAL);
	FL_ASSERT_CONTAINS(err.msg, "longer than 4096 bytes");
}

/* Whether sel matches the labels written as JSON ("null": no labels at all). */
static bool matches(const char *sel_text, const char *labels_json)
{
	struct fl_labelsel sel;
	struct fl_labelsel_error err;
	json_t *labels = json_loads(labels_json, JSON_DECODE_ANY, NULL);
	bool m;

	if (fl_labelsel_parse(sel_text, &sel, &err) < 0)
		FL_FAIL("\"%s\" refused: %s", sel_text, err.msg);
	m = fl_labelsel_match(&sel, labels);
	json_decref(labels);
	fl_labelsel_clear(&sel);
	return m;
}

FLTEST(matching_follows_kubernetes)
{
	static const struct {
		const char *sel, *labels;
		bool match;
	} cases[] = {
		{ "", "{\"x\":\"y\"}", true }, /* k8s: empty matches all */
		{ "", "null", true },
		{ "x=y", "{\"x\":\"y\"}", true },		     /* k8s */
		{ "x=z", "{}", false },				     /* k8s */
		{ "x=y", "{\"x\":\"z\"}", false },		     /* k8s */
		{ "x=y,z=w", "{\"x\":\"y\",\"z\":\"w\"}", true },    /* k8s: AND */
		{ "x=y,z=w", "{\"x\":\"w\",\"z\":\"w\"}", false },   /* k8s */
		{ "x!=y,z!=w", "{\"x\":\"z\",\"z\":\"a\"}", true },  /* k8s */
		{ "x!=y,z!=w", "{\"x\":\"z\",\"z\":\"w\"}", false }, /* k8s */
		{ "x!=y", "{}", true },				     /* a missing key is != */
		{ "x!=y", "null", true },
		{ "notin=in", "{\"notin\":\"in\"}", true }, /* k8s */
		{ "x", "{\"x\":\"z\"}", true },		    /* k8s */
		{ "x", "{\"y\":\"z\"}", false },	    /* k8s */
		{ "!x", "{\"y\":\"z\"}", true },	    /* k8s */
		{ "!x", "{\"x\":\"z\"}", false },	    /* k8s */
		{ "x in (a,b)", "{\"x\":\"b\"}", true },
		{ "x in (a,b)", "{\"x\":\"c\"}", false },
		{ "x in (a,b)", "{}", false },
		{ "x notin (a)", "{}", true }, /* a missing key is notin */
		{ "x notin (a)", "{\"x\":\"a\"}", false },
		{ "x notin (a)", "{\"x\":\"b\"}", true },
		{ "x in (foo),y notin (alpha)", "{\"x\":\"foo\",\"y\":\"baz\"}", true }, /* k8s */
		{ "x in (foo),y in (alpha)", "{\"x\":\"foo\",\"y\":\"baz\"}", false },	 /* k8s */
		{ "x notin (),y", "{\"y\":\"\"}", true },				 /* k8s */
		{ "!x,y", "{\"y\":\"\"}", true },					 /* k8s */
		{ "x notin (),!y", "{\"y\":\"\"}", false },				 /* k8s */
		{ "x in ()", "{\"y\":\"baz\"}", false },				 /* k8s */
		{ "x in ()", "{\"x\":\"\"}", true },
		{ "x=", "{\"x\":\"\"}", true },
		{ "x>1", "{\"x\":\"2\"}", true },   /* k8s */
		{ "x<1", "{\"x\":\"0\"}", true },   /* k8s */
		{ "x>1", "{\"x\":\"0\"}", false },  /* k8s */
		{ "x<1", "{\"x\":\"2\"}", false },  /* k8s */
		{ "z>1", "{\"z\":\"v2\"}", false }, /* k8s */
		{ "x>1", "{}", false },
		{ "x<1", "{\"x\":\"-5\"}", true }, /* the pod's side is strconv.ParseInt's */
		{ "x<1", "{\"x\":\"99999999999999999999\"}", false },
		{ "foo=bar,foobar=bar,baz=blah", "{\"foo\":\"bar\",\"baz\":\"blah\"}",
		  false },				     /* k8s */
		{ "app=a,app=b", "{\"app\":\"a\"}", false }, /* duplicates: AND */
		{ "x", "{\"x\":5}", false },		     /* not a string: absent */
		{ "x!=5", "{\"x\":5}", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		FL_ASSERT_MSG(matches(cases[i].sel, cases[i].labels) == cases[i].match,
			      "\"%s\" on %s: %d, want %d", cases[i].sel, cases[i].labels,
			      !cases[i].match, cases[i].match);
}

FLTEST(format_parses_back_to_the_same_requirements)
{
	static const char *const cases[] = {
		"x in (abc,,def),!bar,z in (),w,q notin (in),y>5,v<07,u=,t!=a",
		"in in (in),notin=notin",
		"",
	};
	char text[256], small[8], a[512], b[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_labelsel one, two;
		struct fl_labelsel_error err;
		size_t len;

		FL_ASSERT_OK(fl_labelsel_parse(cases[i], &one, &err));
		len = fl_labelsel_format(&one, text, sizeof(text));
		FL_ASSERT_EQ(len, strlen(text));
		FL_ASSERT_EQ(fl_labelsel_format(&one, small, sizeof(small)), len);
		FL_ASSERT(strlen(small) == (len < sizeof(small) ? len : sizeof(small) - 1));
		FL_ASSERT_OK(fl_labelsel_parse(text, &two, &err));
		dump(&one, a, sizeof(a));
		dump(&two, b, sizeof(b));
		FL_ASSERT_STREQ(b, a);
		fl_labelsel_clear(&one);
		fl_labelsel_clear(&two);
	}
}

FLTEST(field_selectors_accepted)
{
	static const char *const cases[] = {
		"",
		"x=a,y=b,z=c",		/* k8s */
		"x!=a,y=b",		/* k8s */
		"x=a||y\\=b",		/* k8s */
		"x=a\\=\\=b",		/* k8s */
		"x=\\\\\\=\\\\\\,\\\\", /* k8s TestEscapeValue: \=\,\ escaped */
		"status.phase=Running,spec.nodeName!=node-1",
		"metadata.name==p,", /* empty terms are skipped */
		"a=b,,c=d",
		"spec.nodeName=", /* an empty value */
		"x=a\\,b",	  /* an escaped ',' stays in the value */
		"x=!b",
	};
	struct fl_labelsel_error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		FL_ASSERT_MSG(fl_fieldsel_check(cases[i], &err) == 0, "\"%s\" refused at %zu: %s",
			      cases[i], err.offset, err.msg);
}

FLTEST(field_selectors_refused)
{
	static const struct refusal cases[] = {
		{ "x=a||y=b", 6, "unescaped '='" },		     /* k8s */
		{ "x==a==b", 4, "unescaped '='" },		     /* k8s */
		{ "x=a,b", 4, "term \"b\": expected field=value" },  /* k8s */
		{ "x in (a)", 0, "expected field=value" },	     /* k8s */
		{ "x in (a,b,c)", 0, "term \"x in (a\": expected" }, /* k8s: ',' splits terms */
		{ "x", 0, "term \"x\": expected field=value" },	     /* k8s */
		{ "x=\\", 2, "lone '\\'" },			     /* k8s TestEscapeValue */
		{ "x=\\\\\\", 4, "lone '\\'" },			     /* k8s */
		{ "x=\\a", 2, "invalid escape sequence" },	     /* k8s */
		{ "=a", 0, "no field name before '='" },
		{ "!=a", 0, "no field name before '!'" },
		{ "x y=a", 1, "a field name holds only" },
		{ "status.phase=Running,,x", 22, "term \"x\"" },
	};

	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]), true);
}

FLTEST(field_selector_term_limit)
{
	static char s[FL_LABELSEL_MAX_LEN];
	struct fl_labelsel_error err;
	size_t len = 0;

	for (int i = 0; i < FL_LABELSEL_MAX_REQS; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%sf%d=v", i ? "," : "", i);
	FL_ASSERT_OK(fl_fieldsel_check(s, &err));
	snprintf(s + len, sizeof(s) - len, ",g=v");
	FL_ASSERT_EQ(fl_fieldsel_check(s, &err), -EINVAL);
	FL_ASSERT_EQ(err.offset, len + 1);
	FL_ASSERT_CONTAINS(err.msg, "more than 64 terms");
}
