/* th.h - tiny test harness (Redis testhelp style).
 *
 * TH_CHECK(cond, "name") counts a pass or a failure and prints failures.
 * TH_REPORT() prints the closing line "tests: N passed, N failed" and
 * evaluates to the process exit status (non-zero on any failure).
 */
#ifndef JL_TH_H
#define JL_TH_H
#include <stdio.h>

static int th_passed, th_failed;

#define TH_CHECK(cond, ...) do {                                           \
	if (cond) { th_passed++; }                                         \
	else {                                                             \
		th_failed++;                                               \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);       \
		fprintf(stderr, __VA_ARGS__);                              \
		fprintf(stderr, "  [%s]\n", #cond);                        \
	}                                                                  \
} while (0)

#define TH_REPORT() (printf("tests: %d passed, %d failed\n", th_passed, th_failed), \
		     th_failed ? 1 : 0)
#endif
