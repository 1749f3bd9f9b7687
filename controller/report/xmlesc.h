/* SPDX-License-Identifier: MIT */
/*
 * Escaping text from a run journal into XML 1.0 and HTML (the JUnit and HTML reports).
 *
 * Journal text comes from probes, agents and user YAML: it may hold markup characters,
 * control characters XML 1.0 forbids (anything below U+0020 but tab, LF and CR; U+FFFE,
 * U+FFFF) and — when a writer skipped jansson's checks — bytes that are not UTF-8. All of
 * those become U+FFFD (the replacement character), so the output is always well-formed.
 *
 * Write errors are left in the FILE's error flag; callers check ferror() once at the end.
 */
#ifndef FL_XMLESC_H
#define FL_XMLESC_H

#include <stdio.h>

/* Element content: & < > escaped, CR as &#13; (a parser would turn a raw CR into LF). */
void fl_xml_text(FILE *out, const char *s);
/* A double- or single-quoted attribute value: also " ' and tab/LF/CR as character
 * references, which attribute-value normalisation would otherwise turn into spaces. */
void fl_xml_attr(FILE *out, const char *s);
/* Plain text for a terminal or a log: control characters (C0, DEL, C1) and invalid UTF-8
 * become '?', except LF and tab when keep_newlines. */
void fl_text_clean(FILE *out, const char *s, int keep_newlines);

#endif
