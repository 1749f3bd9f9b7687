/* SPDX-License-Identifier: MIT */
/*
 * The fake netlink transport of the unit tests (nlfake.h): every request is recorded;
 * replies come from a queue the test fills, else a well-formed answer is made up (an ACK,
 * or NLMSG_DONE for a dump). Queued replies written with seq 0 get the sequence number of
 * the request they answer; a non-zero seq is kept (to test stale replies).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "nlfake.h"

#define FAKE_MAX 256

struct fl_nl_fake {
	struct {
		void *buf;
		size_t len;
	} req[FAKE_MAX], reply[FAKE_MAX];
	unsigned n_req, n_reply, next_reply;
	uint32_t last_seq;
	bool last_dump;
	bool owe_answer; /* the last request has not been answered yet */
};

static int fake_send(void *priv, const void *buf, size_t len)
{
	struct fl_nl_fake *f = priv;
	const struct nlmsghdr *nlh = buf;

	if (f->n_req == FAKE_MAX || len < sizeof(*nlh))
		return -ENOBUFS;
	f->req[f->n_req].buf = malloc(len);
	if (!f->req[f->n_req].buf)
		return -ENOMEM;
	memcpy(f->req[f->n_req].buf, buf, len);
	f->req[f->n_req].len = len;
	f->n_req++;
	f->last_seq = nlh->nlmsg_seq;
	f->last_dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	f->owe_answer = true;
	return 0;
}

static ssize_t fake_recv(void *priv, void *buf, size_t size)
{
	struct fl_nl_fake *f = priv;
	struct nlmsghdr *nlh = buf;

	if (f->next_reply < f->n_reply) {
		size_t len = f->reply[f->next_reply].len;
		int left;

		if (len > size)
			return -EMSGSIZE;
		memcpy(buf, f->reply[f->next_reply].buf, len);
		f->next_reply++;
		left = (int)len;
		for (struct nlmsghdr *m = nlh; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left))
			if (m->nlmsg_seq == 0)
				m->nlmsg_seq = f->last_seq;
		/* A queued error, ACK or DONE answers the request. */
		if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE)
			f->owe_answer = false;
		return (ssize_t)len;
	}
	if (!f->owe_answer)
		return -EAGAIN;
	f->owe_answer = false;
	memset(buf, 0, MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	nlh->nlmsg_seq = f->last_seq;
	if (f->last_dump) {
		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(int);
	} else {
		nlh->nlmsg_type = NLMSG_ERROR;
		nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	}
	return nlh->nlmsg_len;
}

static void fake_destroy(void *priv)
{
	struct fl_nl_fake *f = priv;

	for (unsigned i = 0; i < f->n_req; i++)
		free(f->req[i].buf);
	for (unsigned i = 0; i < f->n_reply; i++)
		free(f->reply[i].buf);
	free(f);
}

static const struct fl_nl_transport fake_ops = {
	.send = fake_send,
	.recv = fake_recv,
	.destroy = fake_destroy,
};

int fl_nl_fake_new(struct fl_nl **ret_nl, struct fl_nl_fake **ret_fake)
{
	struct fl_nl_fake *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	if ((r = fl_nl_new(&fake_ops, f, ret_nl)) < 0)
		return r;
	*ret_fake = f;
	return 0;
}

int fl_nl_fake_queue_reply(struct fl_nl_fake *fake, const void *buf, size_t len)
{
	if (fake->n_reply == FAKE_MAX)
		return -ENOBUFS;
	fake->reply[fake->n_reply].buf = malloc(len);
	if (!fake->reply[fake->n_reply].buf)
		return -ENOMEM;
	memcpy(fake->reply[fake->n_reply].buf, buf, len);
	fake->reply[fake->n_reply].len = len;
	fake->n_reply++;
	return 0;
}

const void *fl_nl_fake_request(const struct fl_nl_fake *fake, unsigned n, size_t *ret_len)
{
	if (n >= fake->n_req)
		return NULL;
	if (ret_len)
		*ret_len = fake->req[n].len;
	return fake->req[n].buf;
}

unsigned fl_nl_fake_n_requests(const struct fl_nl_fake *fake)
{
	return fake->n_req;
}
