/* SPDX-License-Identifier: MIT */
/*
 * The fault registry (registry.h, registry_internal.h): every fault the agent holds, from inject
 * (ledger first, then the mechanism, then read back) through renew and revert to the
 * deadline the agent enforces on its own.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fl/clock.h"
#include "fl/log.h"
#include "fl/units.h"
#include "registry_internal.h"

#define RETRY_INTERVAL_NS 1000000000ull
#define DONE_KEEP_NS	  (600ull * 1000000000ull) /* kills stay listed for 10 minutes */
#define QUEUE_FIRST	  0xFA00u
#define QUEUE_COUNT	  256u

const char *fl_revert_reason_name(enum fl_revert_reason reason)
{
	static const char *const names[FL_REVERT_REASON_COUNT] = {
		[FL_REVERT_REQUESTED] = "requested",   [FL_REVERT_DEADLINE] = "deadline",
		[FL_REVERT_LEASE] = "lease-expired",   [FL_REVERT_STOP] = "emergency-stop",
		[FL_REVERT_SHUTDOWN] = "shutdown",     [FL_REVERT_TARGET_GONE] = "target-gone",
		[FL_REVERT_WIRE_CHECK] = "wire-check",
	};

	return (unsigned)reason < FL_REVERT_REASON_COUNT ? names[reason] : "unknown";
}

int fl_registry_new(const struct fl_agent_config *cfg, struct fl_ledger *ledger,
		    struct fl_registry **ret)
{
	struct fl_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	pthread_mutex_init(&reg->lock, NULL);
	reg->cfg = cfg;
	reg->ledger = ledger;
	*ret = reg;
	return 0;
}

static void fault_free(struct fl_fault *f)
{
	f->nft = fl_nft_close(f->nft);
	f->dl = fl_delayline_stop(f->dl);
	free(f->wire);
	free(f);
}

struct fl_registry *fl_registry_free(struct fl_registry *reg)
{
	if (!reg)
		return NULL;
	while (reg->faults) {
		struct fl_fault *f = reg->faults;

		reg->faults = f->next;
		fault_free(f);
	}
	pthread_mutex_destroy(&reg->lock);
	free(reg);
	return NULL;
}

static struct fl_fault *find(struct fl_registry *reg, const char *id)
{
	for (struct fl_fault *f = reg->faults; f; f = f->next)
		if (strcmp(f->id, id) == 0)
			return f;
	return NULL;
}

static void unlink_fault(struct fl_registry *reg, struct fl_fault *f)
{
	for (struct fl_fault **pp = &reg->faults; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			return;
		}
	}
}

/* ---- JSON views ---------------------------------------------------------------------- */

static void iso_time(int64_t unix_ms, char *buf, size_t size)
{
	time_t s = (time_t)(unix_ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	(void)strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf + strlen(buf), size - strlen(buf), ".%03dZ", (int)(unix_ms % 1000));
}

static void describe_matches(const struct fl_netem_match *m, unsigned n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && len < size; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, size - len, ", ");
		if (len < size)
			len += fl_netem_match_format(&m[i], buf + len, size - len);
	}
}

static void describe_spec(const struct fl_fault *f, char *buf, size_t size)
{
	const struct fl_fault_req *q = &f->req;
	char a[64], peers[512];

	switch (q->kind) {
	case FL_FAULT_NETWORK:
		fl_netem_format_tc(&q->u.net.netem, buf, size);
		return;
	case FL_FAULT_BANDWIDTH:
		fl_format_rate(q->u.net.tbf.rate_bytes_per_s, a, sizeof(a));
		(void)snprintf(buf, size, "rate %s", a);
		return;
	case FL_FAULT_PARTITION:
	case FL_FAULT_LOSS:
		describe_matches(q->u.nft.peers, q->u.nft.n_peers, peers, sizeof(peers));
		if (q->kind == FL_FAULT_LOSS)
			(void)snprintf(a, sizeof(a), "loss %g%%", q->u.nft.percent);
		else
			(void)snprintf(a, sizeof(a), "%s",
				       q->u.nft.action == FL_NFT_REJECT ? "reject" : "drop");
		(void)snprintf(buf, size, "%s%s%.400s", a, peers[0] ? " peers " : " all traffic",
			       peers);
		return;
	case FL_FAULT_DELAY: {
		char d[32], j[32];

		fl_format_duration(q->u.delay.spec.delay_ns, d, sizeof(d));
		fl_format_duration(q->u.delay.spec.jitter_ns, j, sizeof(j));
		(void)snprintf(buf, size, "delay %s jitter %s", d, j);
		return;
	}
	case FL_FAULT_CONTAINER_KILL:
	case FL_FAULT_PROCESS_KILL:
		if (q->u.kill.signal)
			(void)snprintf(buf, size, "signal %d", q->u.kill.signal);
		else
			(void)snprintf(buf, size, "CRI StopContainer, grace %llds",
				       (long long)q->u.kill.grace_s);
		return;
	default:
		buf[0] = '\0';
	}
}

static json_t *view(const struct fl_fault *f)
{
	static const char *const states[] = { "active", "revert-failed", "done" };
	char created[40], deadline[40], spec[512], matches[512], lease[32];
	uint64_t now = fl_now_mono_ns();
	json_t *o, *target;

	iso_time(f->created_unix_ms, created, sizeof(created));
	iso_time(f->deadline_unix_ms, deadline, sizeof(deadline));
	describe_spec(f, spec, sizeof(spec));
	target = json_pack("{s:s}", "describe", f->res.describe);
	if (f->res.netns_path[0])
		json_object_set_new(target, "netns", json_string(f->res.netns_path));
	if (f->res.pod[0])
		json_object_set_new(target, "pod", json_string(f->res.pod));
	if (f->res.sandbox_id[0])
		json_object_set_new(target, "sandboxId", json_string(f->res.sandbox_id));
	if (f->res.pid)
		json_object_set_new(target, "pid", json_integer(f->res.pid));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "id", f->id, "kind",
		      fl_fault_kind_name(f->req.kind), "state", states[f->state], "mechanism",
		      f->mechanism ? f->mechanism : "", "target", target, "spec", spec, "createdAt",
		      created);
	if (!o)
		return NULL;
	if (f->state != FL_FAULT_DONE) {
		json_object_set_new(o, "deadline", json_string(deadline));
		json_object_set_new(
			o, "remainingMs",
			json_integer(f->deadline_mono_ns > now
					     ? (json_int_t)((f->deadline_mono_ns - now) / 1000000)
					     : 0));
	}
	if (f->req.kind == FL_FAULT_NETWORK || f->req.kind == FL_FAULT_BANDWIDTH) {
		json_object_set_new(o, "interface", json_string(f->req.ifname));
		json_object_set_new(o, "direction",
				    json_string(f->req.u.net.direction == FL_NETEM_INGRESS
							? "ingress"
							: "egress"));
		describe_matches(f->req.u.net.matches, f->req.u.net.n_matches, matches,
				 sizeof(matches));
		if (matches[0])
			json_object_set_new(o, "targets", json_string(matches));
	}
	if (f->req.kind == FL_FAULT_DELAY)
		json_object_set_new(o, "queue", json_integer(f->queue_num));
	if (f->lease_ns) {
		fl_format_duration(f->lease_ns, lease, sizeof(lease));
		json_object_set_new(o, "lease", json_string(lease));
		json_object_set_new(
			o, "leaseExpiresInMs",
			json_integer(
				f->lease_expiry_mono_ns > now
					? (json_int_t)((f->lease_expiry_mono_ns - now) / 1000000)
					: 0));
	}
	if (f->req.owner[0])
		json_object_set_new(o, "owner", json_string(f->req.owner));
	if (f->result[0])
		json_object_set_new(o, "result", json_string(f->result));
	if (f->state == FL_FAULT_REVERT_FAILED) {
		json_object_set_new(o, "revertAttempts", json_integer(f->revert_attempts));
		json_object_set_new(o, "revertReason", json_string(f->revert_reason));
		json_object_set_new(o, "lastError", json_string(f->last_error));
	}
	if (f->wire)
		json_object_set_new(o, "wire", fl_wire_json(f->wire));
	if (f->req.kind == FL_FAULT_DELAY && f->dl) {
		struct fl_delayline_stats st;

		fl_delayline_get_stats(f->dl, &st);
		json_object_set_new(
			o, "delayLine",
			json_pack("{s:I, s:I, s:I, s:I}", "received", (json_int_t)st.received,
				  "released", (json_int_t)st.released, "overflow",
				  (json_int_t)st.overflow, "held", (json_int_t)st.held));
	}
	return o;
}

/* ---- inject ------------------------------------------------------------------------ */

static void generate_id(char *buf, size_t size)
{
	uint8_t rnd[5];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	(void)snprintf(buf, size, "f%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4]);
}

static bool same_netns(const struct fl_fault *a, const struct fl_resolved *r)
{
	return a->res.netns_dev == r->netns_dev && a->res.netns_ino == r->netns_ino;
}

/* One network/bandwidth fault per interface and direction (they share the root qdisc). */
static const struct fl_fault *conflict(struct fl_registry *reg, const struct fl_fault_req *req,
				       const struct fl_resolved *res)
{
	if (req->kind != FL_FAULT_NETWORK && req->kind != FL_FAULT_BANDWIDTH)
		return NULL;
	for (const struct fl_fault *f = reg->faults; f; f = f->next) {
		if (f->state == FL_FAULT_DONE ||
		    (f->req.kind != FL_FAULT_NETWORK && f->req.kind != FL_FAULT_BANDWIDTH))
			continue;
		if (same_netns(f, res) && strcmp(f->req.ifname, req->ifname) == 0 &&
		    f->req.u.net.direction == req->u.net.direction)
			return f;
	}
	return NULL;
}

static int allocate_queue(struct fl_registry *reg, const struct fl_resolved *res, uint16_t *ret)
{
	for (unsigned q = QUEUE_FIRST; q < QUEUE_FIRST + QUEUE_COUNT; q++) {
		bool used = false;

		for (const struct fl_fault *f = reg->faults; f && !used; f = f->next)
			used = f->req.kind == FL_FAULT_DELAY && same_netns(f, res) &&
			       f->queue_num == q;
		if (!used) {
			*ret = (uint16_t)q;
			return 0;
		}
	}
	return -EBUSY;
}

/*
 * Test hooks, compiled into the test build of the agent only ($(BUILD)/t/faultline-agent,
 * -DFL_TEST_BUILD; docs/agent-api.md): the release agent reads neither variable, and
 * tests/unit/test-release-clean.sh checks that its binary does not even name them.
 *   FL_AGENT_CRASH_AT=after-ledger|after-apply   SIGKILL at that point of an inject
 *   FL_AGENT_TEST_REVERT_FAILURES=N              the first N reverts fail (-EIO), so the
 *                                                retry-and-report path runs on a real kernel
 */
#ifdef FL_TEST_BUILD
static void crash_point(const char *where)
{
	const char *at = getenv("FL_AGENT_CRASH_AT");

	if (at && strcmp(at, where) == 0)
		raise(SIGKILL);
}

/* -EIO with diag while failures are left to inject, else 0. */
static int injected_revert_failure(struct fl_diag *diag)
{
	static int remaining = -1;
	const char *env;

	if (remaining < 0) {
		env = getenv("FL_AGENT_TEST_REVERT_FAILURES");
		remaining = env ? (int)strtol(env, NULL, 10) : 0;
	}
	if (remaining <= 0)
		return 0;
	remaining--;
	return fl_diag_set(diag, -EIO, "injected revert failure (test hook)");
}
#else
static void crash_point(const char *where)
{
	(void)where;
}

static int injected_revert_failure(struct fl_diag *diag)
{
	(void)diag;
	return 0;
}
#endif

static void fill_record(const struct fl_fault *f, struct fl_ledger_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	(void)snprintf(rec->id, sizeof(rec->id), "%s", f->id);
	rec->kind = f->req.kind;
	(void)snprintf(rec->netns_path, sizeof(rec->netns_path), "%s", f->res.netns_path);
	rec->netns_dev = f->res.netns_dev;
	rec->netns_ino = f->res.netns_ino;
	(void)snprintf(rec->sandbox_id, sizeof(rec->sandbox_id), "%s", f->res.sandbox_id);
	(void)snprintf(rec->ifname, sizeof(rec->ifname), "%s", f->req.ifname);
	rec->direction = f->req.kind == FL_FAULT_NETWORK || f->req.kind == FL_FAULT_BANDWIDTH
				 ? (int)f->req.u.net.direction
				 : 0;
	rec->queue_num = f->queue_num;
	rec->created_unix_ms = f->created_unix_ms;
	rec->deadline_unix_ms = f->deadline_unix_ms;
	(void)snprintf(rec->owner, sizeof(rec->owner), "%s", f->req.owner);
}

static bool is_kill(enum fl_fault_kind kind)
{
	return kind == FL_FAULT_CONTAINER_KILL || kind == FL_FAULT_PROCESS_KILL;
}

static int inject_kill(struct fl_registry *reg, struct fl_fault *f, json_t **ret_view,
		       struct fl_diag *diag)
{
	int r;

	/* Not under the lock: a CRI StopContainer may wait out a grace period. */
	r = fl_mech_apply(f, reg->cfg, diag);
	pthread_mutex_lock(&reg->lock);
	if (r < 0) {
		reg->c.inject_errors++;
		pthread_mutex_unlock(&reg->lock);
		free(f);
		return r;
	}
	f->state = FL_FAULT_DONE;
	f->done_mono_ns = fl_now_mono_ns();
	if (find(reg, f->id)) {
		/* Another request used the id meanwhile; report it under a fresh one. */
		generate_id(f->id, sizeof(f->id));
	}
	f->next = reg->faults;
	reg->faults = f;
	reg->c.injected[f->req.kind]++;
	*ret_view = view(f);
	pthread_mutex_unlock(&reg->lock);
	fl_log(LOG_INFO, "fault executed", "fault=%s kind=%s target=\"%s\" result=\"%s\"", f->id,
	       fl_fault_kind_name(f->req.kind), f->res.describe, f->result);
	return 0;
}

/* A fault whose wire check has not ended: its client still waits for the answer, so its
 * lease cannot have lapsed (the lease starts over when the inject answers). */
static bool measuring(const struct fl_fault *f)
{
	return f->wire && f->wire->verdict == FL_WIRE_MEASURING;
}

/* The wire figures alone, for an error answer: {"wire": {...}} (new reference). */
static json_t *wire_only(const struct fl_wire *w)
{
	return json_pack("{s:o}", "wire", fl_wire_json(w));
}

/* Before the change, unlocked: the path must work, else nothing is changed. */
static int wire_before(struct fl_fault *f, json_t **ret_view, struct fl_diag *diag)
{
	char msg[FL_DIAG_MSG_MAX];
	int r;

	if ((r = fl_wire_measure(f->wire, f->res.netns_path, false, diag)) < 0)
		return fl_diag_prefix(diag, r, "wire check");
	if (fl_wire_judge_before(f->wire, msg, sizeof(msg)) == FL_WIRE_CANNOT_JUDGE) {
		*ret_view = wire_only(f->wire);
		return fl_diag_set(diag, FL_WIRE_ERR, "%s", msg);
	}
	return 0;
}

/* The answer once the change showed on the wire (lock held). */
static void wire_passed(struct fl_registry *reg, struct fl_fault *f, json_t **ret_view)
{
	reg->c.injected[f->req.kind]++;
	if (f->lease_ns)
		f->lease_expiry_mono_ns = fl_now_mono_ns() + f->lease_ns;
	*ret_view = view(f);
	fl_log(LOG_INFO, "fault injected",
	       "fault=%s kind=%s mechanism=%s target=\"%s\" duration_ms=%llu wire=effect "
	       "destinations=%u wire_ms=%llu",
	       f->id, fl_fault_kind_name(f->req.kind), f->mechanism, f->res.describe,
	       (unsigned long long)(f->req.duration_ns / 1000000), f->wire->n,
	       (unsigned long long)(f->wire->took_ns / 1000000));
}

/*
 * After the change, which is applied and listed (lock held on entry and on return, released
 * while measuring). The measurement runs on a copy: meanwhile an emergency stop, the
 * deadline or a vanished target may revert and free f, which is then found no more.
 */
static int wire_after(struct fl_registry *reg, struct fl_fault *f, json_t **ret_view,
		      struct fl_diag *diag)
{
	char id[FL_FAULT_ID_MAX], path[FL_NETNS_PATH_MAX], msg[FL_DIAG_MSG_MAX];
	uint64_t serial = f->serial;
	struct fl_wire *w = malloc(sizeof(*w));
	int r;

	if (w) {
		*w = *f->wire;
		memcpy(id, f->id, sizeof(id));
		memcpy(path, f->res.netns_path, sizeof(path));
		pthread_mutex_unlock(&reg->lock);
		r = fl_wire_measure(w, path, true, diag);
		pthread_mutex_lock(&reg->lock);
		f = find(reg, id);
		if (!f || f->serial != serial) {
			free(w);
			return fl_diag_set(
				diag, -ECANCELED,
				"wire check: fault %s was reverted (%s) while it was "
				"measured",
				id, reg->stopped ? "emergency stop" : "deadline or target gone");
		}
		*f->wire = *w;
		free(w);
	} else {
		r = fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	if (r >= 0 && fl_wire_judge_after(f->wire, msg, sizeof(msg)) == FL_WIRE_EFFECT) {
		wire_passed(reg, f, ret_view);
		return 0;
	}
	if (r < 0)
		(void)snprintf(msg, sizeof(msg), "wire check: %.480s", diag->msg);
	else
		r = FL_WIRE_ERR;
	*ret_view = wire_only(f->wire);
	if (fl_registry_revert_locked(reg, f, FL_REVERT_WIRE_CHECK) == 1)
		return fl_diag_set(diag, r, "%s (reverted)", msg);
	return fl_diag_set(diag, r, "%s (its revert failed and is retried every second: %s)", msg,
			   f->last_error);
}

/* Its id (asked for or generated), creation time, deadline and lease expiry: from now. */
static void stamp(struct fl_fault *f, const struct fl_fault_req *req)
{
	f->created_unix_ms = fl_now_unix_ms();
	f->deadline_unix_ms = f->created_unix_ms + (int64_t)(req->duration_ns / 1000000);
	f->deadline_mono_ns = fl_now_mono_ns() + req->duration_ns;
	f->lease_ns = req->lease_ns;
	if (f->lease_ns)
		f->lease_expiry_mono_ns = fl_now_mono_ns() + f->lease_ns;
	if (req->id[0])
		(void)snprintf(f->id, sizeof(f->id), "%s", req->id);
	else
		generate_id(f->id, sizeof(f->id));
}

/*
 * Before the lock: a new fault with its target resolved and, for a wire check, the path
 * measured. A failure counts as an inject error (except running out of memory at once).
 */
static int prepare_fault(struct fl_registry *reg, const struct fl_fault_req *req,
			 struct fl_fault **ret, json_t **ret_view, struct fl_diag *diag)
{
	struct fl_fault *f;
	int r;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->req = *req;
	/* Resolve outside the lock: the CRI may be slow. */
	if ((r = fl_target_resolve(reg->cfg, &req->target, req->kind, &f->res, diag)) < 0)
		goto fail;
	/* And measure the path as it is, before anything changes (nothing to undo). */
	if (req->verify_wire && !is_kill(req->kind)) {
		if (!(f->wire = calloc(1, sizeof(*f->wire)))) {
			r = -ENOMEM;
			goto fail;
		}
		if ((r = fl_wire_prepare(req, f->wire, diag)) < 0 ||
		    (r = wire_before(f, ret_view, diag)) < 0)
			goto fail;
	}
	*ret = f;
	return 0;
fail:
	fault_free(f);
	pthread_mutex_lock(&reg->lock);
	reg->c.inject_errors++;
	pthread_mutex_unlock(&reg->lock);
	return r;
}

/* With the lock held: no stop, a new id, the interface free, a queue for a delay. */
static int admit_locked(struct fl_registry *reg, const struct fl_fault_req *req, struct fl_fault *f,
			struct fl_diag *diag)
{
	const struct fl_fault *other;

	if (reg->stopped)
		return fl_diag_set(diag, -ESHUTDOWN, "emergency stop in force");
	if (find(reg, f->id))
		return fl_diag_set(diag, -EEXIST, "id: a fault \"%s\" already exists", f->id);
	if ((other = conflict(reg, req, &f->res)))
		return fl_diag_set(diag, -EEXIST,
				   "interface %s of %s already has fault %s (%s); revert it first",
				   req->ifname, f->res.describe, other->id,
				   req->u.net.direction == FL_NETEM_INGRESS ? "ingress" : "egress");
	if (req->kind == FL_FAULT_DELAY && allocate_queue(reg, &f->res, &f->queue_num) < 0)
		return fl_diag_set(diag, -EBUSY, "no free NFQUEUE number in %s", f->res.describe);
	return 0;
}

/* With the lock held: the ledger record first, so a crash after it is reconciled; then apply. */
static int record_and_apply_locked(struct fl_registry *reg, struct fl_fault *f,
				   struct fl_diag *diag)
{
	struct fl_ledger_record rec;
	uint64_t t0;
	int r;

	fill_record(f, &rec);
	if ((r = fl_ledger_write(reg->ledger, &rec, diag)) < 0)
		return r;
	crash_point("after-ledger");
	t0 = fl_now_mono_ns();
	if ((r = fl_mech_apply(f, reg->cfg, diag)) < 0) {
		/* The mechanisms undo partial work themselves; make sure, then drop the record. */
		(void)fl_mech_revert(f, NULL);
		(void)fl_ledger_remove(reg->ledger, f->id, NULL);
		return r;
	}
	crash_point("after-apply");
	reg->c.inject_ns_sum += fl_now_mono_ns() - t0;
	reg->c.inject_count++;
	return 0;
}

int fl_registry_inject(struct fl_registry *reg, const struct fl_fault_req *req, json_t **ret_view,
		       struct fl_diag *diag)
{
	struct fl_fault *f = NULL;
	int r;

	if (fl_registry_stopped(reg))
		return fl_diag_set(diag, -ESHUTDOWN,
				   "emergency stop in force: no new faults until it is cleared "
				   "(DELETE /v1/stop)");
	if ((r = prepare_fault(reg, req, &f, ret_view, diag)) < 0)
		return r;
	stamp(f, req);
	if (is_kill(req->kind))
		return inject_kill(reg, f, ret_view, diag);

	pthread_mutex_lock(&reg->lock);
	if ((r = admit_locked(reg, req, f, diag)) < 0 ||
	    (r = record_and_apply_locked(reg, f, diag)) < 0) {
		reg->c.inject_errors++;
		pthread_mutex_unlock(&reg->lock);
		fault_free(f);
		return r;
	}
	f->serial = ++reg->serial;
	f->next = reg->faults;
	reg->faults = f;
	if (f->wire) {
		/* Listed (and revertible by a stop) while the change is measured. */
		if ((r = wire_after(reg, f, ret_view, diag)) < 0)
			reg->c.inject_errors++;
		pthread_mutex_unlock(&reg->lock);
		return r;
	}
	reg->c.injected[req->kind]++;
	*ret_view = view(f);
	pthread_mutex_unlock(&reg->lock);
	fl_log(LOG_INFO, "fault injected",
	       "fault=%s kind=%s mechanism=%s target=\"%s\" duration_ms=%llu", f->id,
	       fl_fault_kind_name(req->kind), f->mechanism, f->res.describe,
	       (unsigned long long)(req->duration_ns / 1000000));
	return 0;
}

/* ---- revert ------------------------------------------------------------------------- */

/* With the lock held. Frees f when the revert succeeded (returns 1), else keeps it. */
int fl_registry_revert_locked(struct fl_registry *reg, struct fl_fault *f,
			      enum fl_revert_reason why)
{
	struct fl_diag diag = { 0 };
	int r = injected_revert_failure(&diag);

	if (r == 0)
		r = fl_mech_revert(f, &diag);

	if (r == 0)
		r = fl_ledger_remove(reg->ledger, f->id, &diag);
	if (r < 0) {
		f->state = FL_FAULT_REVERT_FAILED;
		f->revert_attempts++;
		f->next_retry_mono_ns = fl_now_mono_ns() + RETRY_INTERVAL_NS;
		(void)snprintf(f->revert_reason, sizeof(f->revert_reason), "%s",
			       fl_revert_reason_name(why));
		(void)snprintf(f->last_error, sizeof(f->last_error), "%s", diag.msg);
		reg->c.revert_failures++;
		fl_log(LOG_ERR, "revert failed, will retry",
		       "fault=%s reason=%s attempt=%u error=\"%s\"", f->id,
		       fl_revert_reason_name(why), f->revert_attempts, diag.msg);
		return 0;
	}
	reg->c.reverted[why]++;
	fl_log(LOG_INFO, "fault reverted", "fault=%s kind=%s reason=%s target=\"%s\"", f->id,
	       fl_fault_kind_name(f->req.kind), fl_revert_reason_name(why), f->res.describe);
	unlink_fault(reg, f);
	fault_free(f);
	return 1;
}

int fl_registry_revert(struct fl_registry *reg, const char *id, json_t **ret_view,
		       struct fl_diag *diag)
{
	struct fl_fault *f;
	int r;

	pthread_mutex_lock(&reg->lock);
	f = find(reg, id);
	if (!f) {
		pthread_mutex_unlock(&reg->lock);
		return fl_diag_set(diag, -ENOENT, "no fault \"%s\" (already reverted or expired?)",
				   id);
	}
	if (f->state == FL_FAULT_DONE) {
		*ret_view = view(f);
		unlink_fault(reg, f);
		fault_free(f);
		pthread_mutex_unlock(&reg->lock);
		return 0;
	}
	*ret_view = view(f);
	r = fl_registry_revert_locked(reg, f, FL_REVERT_REQUESTED);
	if (r == 0) {
		/* Still there: report the failure with the fault's current view. */
		json_decref(*ret_view);
		*ret_view = view(f);
		r = fl_diag_set(diag, -EIO, "revert of %s failed (will be retried): %s", id,
				f->last_error);
	} else {
		json_object_set_new(*ret_view, "state", json_string("reverted"));
		r = 0;
	}
	pthread_mutex_unlock(&reg->lock);
	return r;
}

int fl_registry_renew(struct fl_registry *reg, const char *id, uint64_t lease_ns, json_t **ret_view,
		      struct fl_diag *diag)
{
	struct fl_fault *f;
	int r = 0;

	pthread_mutex_lock(&reg->lock);
	f = find(reg, id);
	if (!f || f->state != FL_FAULT_ACTIVE)
		r = fl_diag_set(diag, -ENOENT, "no active fault \"%s\"", id);
	else if (!f->lease_ns && !lease_ns)
		r = fl_diag_set(diag, -EINVAL,
				"fault %s was injected without a lease; give {\"lease\": ...}", id);
	if (r == 0) {
		if (lease_ns)
			f->lease_ns = lease_ns;
		f->lease_expiry_mono_ns = fl_now_mono_ns() + f->lease_ns;
		*ret_view = view(f);
	}
	pthread_mutex_unlock(&reg->lock);
	return r;
}

json_t *fl_registry_list(struct fl_registry *reg)
{
	json_t *arr = json_array();

	pthread_mutex_lock(&reg->lock);
	for (struct fl_fault *f = reg->faults; f; f = f->next)
		json_array_append_new(arr, view(f));
	pthread_mutex_unlock(&reg->lock);
	return json_pack("{s:o, s:b}", "faults", arr, "emergencyStop", fl_registry_stopped(reg));
}

json_t *fl_registry_get(struct fl_registry *reg, const char *id)
{
	struct fl_fault *f;
	json_t *v = NULL;

	pthread_mutex_lock(&reg->lock);
	if ((f = find(reg, id)))
		v = view(f);
	pthread_mutex_unlock(&reg->lock);
	return v;
}

static int revert_all_locked(struct fl_registry *reg, enum fl_revert_reason why,
			     unsigned *ret_reverted)
{
	struct fl_fault *f = reg->faults, *next;
	unsigned reverted = 0;
	int failed = 0;

	for (; f; f = next) {
		next = f->next;
		if (f->state == FL_FAULT_DONE)
			continue;
		if (fl_registry_revert_locked(reg, f, why) == 1)
			reverted++;
		else
			failed++;
	}
	if (ret_reverted)
		*ret_reverted = reverted;
	return failed;
}

json_t *fl_registry_emergency_stop(struct fl_registry *reg)
{
	unsigned reverted;
	int failed;

	pthread_mutex_lock(&reg->lock);
	reg->stopped = true;
	failed = revert_all_locked(reg, FL_REVERT_STOP, &reverted);
	pthread_mutex_unlock(&reg->lock);
	fl_log(LOG_WARNING, "emergency stop", "reverted=%u failed=%d", reverted, failed);
	return json_pack("{s:b, s:i, s:i}", "emergencyStop", 1, "reverted", (int)reverted,
			 "revertFailed", failed);
}

void fl_registry_clear_stop(struct fl_registry *reg)
{
	pthread_mutex_lock(&reg->lock);
	reg->stopped = false;
	pthread_mutex_unlock(&reg->lock);
	fl_log(LOG_INFO, "emergency stop cleared", NULL);
}

bool fl_registry_stopped(struct fl_registry *reg)
{
	bool s;

	pthread_mutex_lock(&reg->lock);
	s = reg->stopped;
	pthread_mutex_unlock(&reg->lock);
	return s;
}

int fl_registry_revert_all(struct fl_registry *reg)
{
	int failed;

	pthread_mutex_lock(&reg->lock);
	failed = revert_all_locked(reg, FL_REVERT_SHUTDOWN, NULL);
	pthread_mutex_unlock(&reg->lock);
	return failed;
}

void fl_registry_tick(struct fl_registry *reg)
{
	uint64_t now = fl_now_mono_ns();
	struct fl_fault *f, *next;

	pthread_mutex_lock(&reg->lock);
	for (f = reg->faults; f; f = next) {
		next = f->next;
		switch (f->state) {
		case FL_FAULT_ACTIVE:
			if (now >= f->deadline_mono_ns)
				(void)fl_registry_revert_locked(reg, f, FL_REVERT_DEADLINE);
			else if (f->lease_ns && now >= f->lease_expiry_mono_ns && !measuring(f))
				(void)fl_registry_revert_locked(reg, f, FL_REVERT_LEASE);
			break;
		case FL_FAULT_REVERT_FAILED:
			if (now >= f->next_retry_mono_ns) {
				enum fl_revert_reason why = FL_REVERT_DEADLINE;

				for (int k = 0; k < FL_REVERT_REASON_COUNT; k++)
					if (strcmp(f->revert_reason, fl_revert_reason_name(k)) == 0)
						why = k;
				(void)fl_registry_revert_locked(reg, f, why);
			}
			break;
		case FL_FAULT_DONE:
			if (now - f->done_mono_ns > DONE_KEEP_NS) {
				unlink_fault(reg, f);
				fault_free(f);
			}
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
}
