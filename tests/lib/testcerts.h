/* SPDX-License-Identifier: MIT */
/*
 * Certificates for TLS tests, made at test time by certtool (gnutls-bin) in a scratch
 * directory that fltest removes after the test:
 *   ca.pem/ca.key                    "Faultline Test CA"
 *   server.pem/server.key            CN localhost, SAN localhost and 127.0.0.1, from ca
 *   client.pem/client.key            CN controller-test, a TLS client certificate from ca
 *   other-ca.pem/other-ca.key        another CA
 *   other-client.pem/other-client.key  a client certificate from other-ca
 *   ca.tmpl, ...                     certtool's templates (not PEM)
 * Valid for 2 days. No certtool: the test is skipped (a failure under CI=true).
 */
#ifndef FL_TESTCERTS_H
#define FL_TESTCERTS_H

struct testcerts {
	char dir[64]; /* /tmp/fl-certs-XXXXXX; other files a test puts there go with it */
};

/* Make everything above in a new scratch dir. certs must outlive the test function
 * (static storage): its removal is deferred. */
void testcerts_make(struct testcerts *certs);

/* "<dir>/<name>" in one of 32 thread-local buffers (valid until 32 more calls on the
 * same thread). */
const char *testcerts_path(const struct testcerts *certs, const char *name);

#endif
