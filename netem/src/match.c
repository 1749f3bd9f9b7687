/* SPDX-License-Identifier: MIT */
/*
 * Which packets a targeted fault affects: destination (or source) CIDR, protocol, port,
 * and how that becomes u32 selector keys. Offsets follow tc's u32 "match ip ..." /
 * "match ip6 ..." (an IPv4 header without options, the fixed IPv6 header).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int parse_port(const char *text, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (*end || errno || v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* A match's text cut in place into its address, prefix length and port (NULL: absent). */
struct match_parts {
	char *addr, *prefix, *port;
};

/* [v6addr]/prefix:port or [v6addr]:port; s points at the '['. */
static int split_bracketed(char *s, const char *text, struct match_parts *parts,
			   struct fl_diag *diag)
{
	char *p = strchr(s, ']');

	if (!p)
		return fl_diag_set(diag, -EINVAL, "target: \"%s\": missing ']'", text);
	*p++ = '\0';
	parts->addr = s + 1;
	if (*p == '/') {
		*p++ = '\0';
		parts->prefix = p;
		p = strchr(p, ':');
	}
	if (p && *p == ':') {
		*p++ = '\0';
		parts->port = p;
	} else if (p && *p) {
		return fl_diag_set(diag, -EINVAL, "target: \"%s\": unexpected text after ']'",
				   text);
	}
	return 0;
}

static int split_parts(char *s, const char *text, struct match_parts *parts, struct fl_diag *diag)
{
	char *p;

	parts->addr = s;
	if (s[0] == '[')
		return split_bracketed(s, text, parts, diag);
	if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		/* One colon: IPv4 with a port. */
		parts->port = strchr(s, ':');
		*parts->port++ = '\0';
		if ((p = strchr(s, '/'))) {
			*p++ = '\0';
			parts->prefix = p;
		}
	} else if ((p = strchr(s, '/'))) {
		*p++ = '\0';
		parts->prefix = p;
	}
	return 0;
}

/* The address, its family and the prefix length (the whole address when absent). */
static int parse_addr_prefix(const struct match_parts *parts, const char *text,
			     struct fl_netem_match *m, struct fl_diag *diag)
{
	unsigned max_prefix;

	if (inet_pton(AF_INET, parts->addr, m->addr) == 1) {
		m->family = AF_INET;
		max_prefix = 32;
	} else if (inet_pton(AF_INET6, parts->addr, m->addr) == 1) {
		m->family = AF_INET6;
		max_prefix = 128;
	} else {
		return fl_diag_set(diag, -EINVAL,
				   "target: \"%s\" is not an IPv4/IPv6 address (expected e.g. "
				   "10.0.0.0/24, 10.0.0.2:9092, [fd00::1]:443, tcp:10.0.0.2:80)",
				   text);
	}
	m->prefix_len = (uint8_t)max_prefix;
	if (parts->prefix) {
		const char *prefix = parts->prefix;
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(prefix, &end, 10);
		if (!isdigit((unsigned char)prefix[0]) || *end || errno || v > max_prefix)
			return fl_diag_set(diag, -EINVAL,
					   "target: \"%s\": prefix length \"%s\" is not in 0..%u",
					   text, prefix, max_prefix);
		m->prefix_len = (uint8_t)v;
	}
	return 0;
}

int fl_netem_match_parse(const char *text, bool source, struct fl_netem_match *ret_match,
			 struct fl_diag *diag)
{
	struct fl_netem_match m = { .source = source };
	struct match_parts parts = { 0 };
	char buf[128], *s;
	int r;

	if (!text || strlen(text) >= sizeof(buf))
		return fl_diag_set(diag, -EINVAL, "target: \"%s\" is too long or empty",
				   text ? text : "");
	memcpy(buf, text, strlen(text) + 1);
	s = buf;
	/* Optional protocol prefix: "tcp:", "udp:". */
	if (strncmp(s, "tcp:", 4) == 0 || strncmp(s, "udp:", 4) == 0) {
		m.ip_proto = s[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		s += 4;
	}
	if ((r = split_parts(s, text, &parts, diag)) < 0 ||
	    (r = parse_addr_prefix(&parts, text, &m, diag)) < 0)
		return r;
	if (parts.port) {
		if (parse_port(parts.port, &m.port) < 0)
			return fl_diag_set(diag, -EINVAL,
					   "target: \"%s\": port \"%s\" is not in 1..65535", text,
					   parts.port);
		if (!m.ip_proto)
			m.ip_proto = IPPROTO_TCP; /* Kafka, HTTP, gRPC: TCP unless said otherwise */
	}
	*ret_match = m;
	return 0;
}

size_t fl_netem_match_format(const struct fl_netem_match *m, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const char *proto = m->ip_proto == IPPROTO_TCP	 ? "tcp:"
			    : m->ip_proto == IPPROTO_UDP ? "udp:"
							 : "";
	int n;

	(void)inet_ntop(m->family, m->addr, addr, sizeof(addr));
	if (m->family == AF_INET6)
		n = snprintf(buf, size, "%s%s[%s]/%u", m->source ? "from " : "", proto, addr,
			     m->prefix_len);
	else
		n = snprintf(buf, size, "%s%s%s/%u", m->source ? "from " : "", proto, addr,
			     m->prefix_len);
	if (m->port && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ":%u", m->port);
	return n < 0 ? 0 : (size_t)n;
}

static int validate_match(const struct fl_netem_match *m, unsigned i, struct fl_diag *diag)
{
	if (m->family != AF_INET && m->family != AF_INET6)
		return fl_diag_set(diag, -EINVAL, "targets[%u]: family %d is not IPv4 or IPv6", i,
				   m->family);
	if (m->prefix_len > (m->family == AF_INET ? 32 : 128))
		return fl_diag_set(diag, -EINVAL, "targets[%u]: prefix length %u is too long", i,
				   m->prefix_len);
	if (m->ip_proto && m->ip_proto != IPPROTO_TCP && m->ip_proto != IPPROTO_UDP)
		return fl_diag_set(diag, -EINVAL, "targets[%u]: protocol %u is not TCP or UDP", i,
				   m->ip_proto);
	if (m->port && !m->ip_proto)
		return fl_diag_set(diag, -EINVAL, "targets[%u]: a port needs tcp or udp", i);
	return 0;
}

int fl_netem_fault_validate(const struct fl_netem_fault *fault, struct fl_diag *diag)
{
	int r;

	if (fault->direction != FL_NETEM_EGRESS && fault->direction != FL_NETEM_INGRESS)
		return fl_diag_set(diag, -EINVAL, "direction: %d is not egress or ingress",
				   (int)fault->direction);
	if (fault->n_matches > FL_NETEM_MAX_MATCHES)
		return fl_diag_set(diag, -EINVAL, "targets: %u given, at most %u", fault->n_matches,
				   FL_NETEM_MAX_MATCHES);
	for (unsigned i = 0; i < fault->n_matches; i++)
		if ((r = validate_match(&fault->matches[i], i, diag)) < 0)
			return r;
	switch (fault->kind) {
	case FL_NETEM_FAULT_NETEM:
		return fl_netem_validate(&fault->netem, diag);
	case FL_NETEM_FAULT_TBF:
		return fl_tbf_validate(&fault->tbf, diag);
	}
	return fl_diag_set(diag, -EINVAL, "kind: %d is not netem or tbf", (int)fault->kind);
}

uint16_t fl_match_ethertype(const struct fl_netem_match *m)
{
	return m->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP;
}

/* Add (or merge into an existing key at the same offset, as tc does) a 32-bit key. */
static int add_key(struct tc_u32_key *keys, unsigned *n, int off, uint32_t val_host,
		   uint32_t mask_host)
{
	for (unsigned i = 0; i < *n; i++) {
		if (keys[i].off == off && keys[i].offmask == 0) {
			keys[i].mask |= htonl(mask_host);
			keys[i].val |= htonl(val_host & mask_host);
			return 0;
		}
	}
	if (*n == FL_U32_MAX_KEYS)
		return -E2BIG;
	keys[*n] = (struct tc_u32_key){ .mask = htonl(mask_host),
					.val = htonl(val_host & mask_host),
					.off = off };
	(*n)++;
	return 0;
}

static int add_addr_keys(struct tc_u32_key *keys, unsigned *n, int off, const uint8_t *addr,
			 unsigned words, unsigned prefix_len)
{
	int r;

	for (unsigned w = 0; w < words && prefix_len > 0; w++) {
		unsigned bits = prefix_len > 32 ? 32 : prefix_len;
		uint32_t mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
		uint32_t val;

		memcpy(&val, addr + 4 * w, 4);
		if ((r = add_key(keys, n, off + 4 * (int)w, ntohl(val), mask)) < 0)
			return r;
		prefix_len -= bits;
	}
	return 0;
}

int fl_u32_keys(const struct fl_netem_match *m, struct tc_u32_key *ret_keys, unsigned *ret_n)
{
	struct tc_u32_key keys[FL_U32_MAX_KEYS];
	unsigned n = 0;
	int r;

	if (m->family == AF_INET) {
		/*
		 * IPv4 header: protocol at byte 9, saddr 12, daddr 16, ports at 20 (IHL 5).
		 * Key order as tc's "match ip dst .. match ip protocol .. match ip dport ..".
		 */
		if ((r = add_addr_keys(keys, &n, m->source ? 12 : 16, m->addr, 1, m->prefix_len)) <
		    0)
			return r;
		if (m->ip_proto &&
		    (r = add_key(keys, &n, 8, (uint32_t)m->ip_proto << 16, 0x00ff0000u)) < 0)
			return r;
		if (m->port &&
		    (r = add_key(keys, &n, 20, m->source ? (uint32_t)m->port << 16 : m->port,
				 m->source ? 0xffff0000u : 0x0000ffffu)) < 0)
			return r;
	} else {
		/* IPv6 header: next header at byte 6, saddr 8, daddr 24, ports at 40. */
		if ((r = add_addr_keys(keys, &n, m->source ? 8 : 24, m->addr, 4, m->prefix_len)) <
		    0)
			return r;
		if (m->ip_proto &&
		    (r = add_key(keys, &n, 4, (uint32_t)m->ip_proto << 8, 0x0000ff00u)) < 0)
			return r;
		if (m->port &&
		    (r = add_key(keys, &n, 40, m->source ? (uint32_t)m->port << 16 : m->port,
				 m->source ? 0xffff0000u : 0x0000ffffu)) < 0)
			return r;
	}
	if (n == 0) {
		/* A /0 without protocol or port: match everything of this family. */
		keys[n++] = (struct tc_u32_key){ 0 };
	}
	memcpy(ret_keys, keys, n * sizeof(keys[0]));
	*ret_n = n;
	return 0;
}
