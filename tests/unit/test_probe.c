/* SPDX-License-Identifier: MIT */
/* The probe dispatcher and context: http and hook probes through fl_probe_new. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fltest.h"
#include "hook_run.h"
#include "probe_ctx.h"

/* A loopback port nobody listens on (bound, noted, closed). */
static unsigned closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	FL_ASSERT(fd >= 0);
	FL_ASSERT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	FL_ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	close(fd);
	return ntohs(sin.sin_port);
}

FLTEST(http_probe_through_the_dispatcher)
{
	static char url[64];
	struct fl_probe_ctx *ctx = NULL;
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };
	struct fl_sample s;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/health", closed_port());
	struct fl_probe_spec spec = { .name = (char *)"health", .type = FL_PROBE_HTTP, .url = url };
	FL_ASSERT_OK(fl_probe_ctx_new(&ctx));
	FL_ASSERT_MSG(fl_probe_new(ctx, &spec, NULL, &probe, &diag) == 0, "%s", diag.msg);
	FL_ASSERT(probe->spec == &spec);
	FL_ASSERT_EQ(fl_probe_sample(probe, &s), -ECONNREFUSED);
	FL_ASSERT_CONTAINS(s.error, "GET http://127.0.0.1:");
	FL_ASSERT(s.t_ms > 1700000000000ull);
	FL_ASSERT(fl_probe_free(probe) == NULL);

	/* creation errors carry the probe's position */
	spec.url = (char *)"ftp://x";
	spec.pos = (struct fl_pos){ .file = "e.yaml", .line = 7, .col = 9 };
	probe = NULL;
	FL_ASSERT_EQ(fl_probe_new(ctx, &spec, NULL, &probe, &diag), -EINVAL);
	FL_ASSERT(probe == NULL);
	FL_ASSERT_CONTAINS(diag.msg, "probe health: url \"ftp://x\"");
	FL_ASSERT_STREQ(diag.file, "e.yaml");
	FL_ASSERT_EQ(diag.line, 7);
	FL_ASSERT(fl_probe_ctx_free(ctx) == NULL);
	FL_ASSERT(fl_probe_ctx_free(NULL) == NULL);
	FL_ASSERT(fl_probe_free(NULL) == NULL);
}

FLTEST(hook_probe_through_the_dispatcher)
{
	static struct fl_hook_spec hs = { .name = (char *)"tk", .module = (char *)"ticker" };
	struct fl_probe_spec spec = { .name = (char *)"ticks",
				      .type = FL_PROBE_HOOK,
				      .hook = (char *)"tk",
				      .hook_metric = (char *)"running" };
	struct fl_probe_ctx *ctx = NULL;
	struct fl_hooks *hooks = NULL;
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };
	struct fl_sample s;

	FL_ASSERT_OK(fl_probe_ctx_new(&ctx));
	FL_ASSERT_EQ(fl_probe_new(ctx, &spec, NULL, &probe, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "probe ticks: a hook probe, but the run has no hook instances "
				  "(fl_probe_ctx_set_hooks)");
	FL_ASSERT_OK(fl_hooks_new(&hs, 1, &hooks, &diag));
	fl_probe_ctx_set_hooks(ctx, hooks);
	FL_ASSERT_MSG(fl_probe_new(ctx, &spec, NULL, &probe, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_EQ(fl_probe_sample(probe, &s), -ESRCH);
	FL_ASSERT_OK(fl_hooks_start(hooks, "tk", &diag));
	FL_ASSERT_OK(fl_probe_sample(probe, &s));
	FL_ASSERT(fl_sample_get(&s, "value")->value == 1);
	FL_ASSERT_OK(fl_hooks_call(hooks, "tk", "pause", NULL, &diag));
	FL_ASSERT_OK(fl_probe_sample(probe, &s));
	FL_ASSERT(fl_sample_get(&s, "value")->value == 0);
	fl_probe_free(probe);
	fl_probe_ctx_free(ctx); /* the hooks are the caller's: still usable */
	FL_ASSERT(fl_hooks_running(hooks, "tk"));
	fl_hooks_free(hooks);
}

FLTEST(kafka_probe_needs_a_bootstrap)
{
	struct fl_probe_spec spec = { .name = (char *)"lag",
				      .type = FL_PROBE_KAFKA_LAG,
				      .group = (char *)"g" };
	struct fl_probe_ctx *ctx = NULL;
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };

	FL_ASSERT_OK(fl_probe_ctx_new(&ctx));
	FL_ASSERT_EQ(fl_probe_new(ctx, &spec, NULL, &probe, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "probe lag: no Kafka bootstrap (set spec.kafka.bootstrap or the "
				  "probe's bootstrap)");
	FL_ASSERT_EQ(fl_probe_new(ctx, &spec, "", &probe, &diag), -EINVAL);
	fl_probe_ctx_free(ctx);
}
