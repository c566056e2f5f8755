/* A stand-in for the part of Criterion's API the unit tests use, for targets without Criterion (i386). */
#ifndef COOP_MINI_CRITERION_H
#define COOP_MINI_CRITERION_H

/* As Criterion's own header, a system header: the tests' macro uses stay free of pedantic warnings. */
#pragma GCC system_header

#include <stdio.h>
#include <string.h>

/*
 * The unit tests are written against Criterion.  Debian's i386 Criterion
 * cannot be installed beside the 64-bit one, so the 32-bit leg builds
 * them against this header instead: Test and TestSuite register through
 * constructors, and runner.c runs each test in a child process, as
 * Criterion does, so one test's globals never leak into the next.  An
 * assertion's optional message is printf-style, as in Criterion.
 */
/* A test's options may name .init and .fini after the zeroed defaults. */
#pragma GCC diagnostic ignored "-Woverride-init"

struct mini_test {
    const char *suite, *name;
    void (*fn)(void);
    void (*init)(void);
    void (*fini)(void);
};
struct mini_suite_opts {
    void (*init)(void);
    void (*fini)(void);
};
void mini_register_test(const char *suite, const char *name, void (*fn)(void), struct mini_suite_opts o);
void mini_register_suite(const char *suite, struct mini_suite_opts o);
void mini_fail(const char *file, int line, int fatal, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define MINI_CAT_(a, b) a##b
#define MINI_CAT(a, b) MINI_CAT_(a, b)

#define Test(suite, name, ...)                                                         \
    static void MINI_CAT(mini_fn_##suite##_, name)(void);                              \
    __attribute__((constructor)) static void MINI_CAT(mini_reg_##suite##_, name)(void) \
    {                                                                                  \
        mini_register_test(#suite, #name, MINI_CAT(mini_fn_##suite##_, name),          \
                           (struct mini_suite_opts){ NULL, NULL, __VA_ARGS__ });       \
    }                                                                                  \
    static void MINI_CAT(mini_fn_##suite##_, name)(void)

#define TestSuite(suite, ...)                                                             \
    __attribute__((constructor)) static void MINI_CAT(mini_suite_, suite)(void)           \
    {                                                                                     \
        mini_register_suite(#suite, (struct mini_suite_opts){ NULL, NULL, __VA_ARGS__ }); \
    }                                                                                     \
    extern int mini_suite_semicolon_##suite

/* The message, when given, is the arguments after the condition; the leading space keeps the format non-empty. */
#define MINI_CHECK(fatal, cond, expr, ...)                                   \
    do {                                                                     \
        if (!(cond))                                                         \
            mini_fail(__FILE__, __LINE__, (fatal), (expr), " " __VA_ARGS__); \
    } while (0)

#define cr_assert(c, ...) MINI_CHECK(1, (c), #c, __VA_ARGS__)
#define cr_expect(c, ...) MINI_CHECK(0, (c), #c, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) MINI_CHECK(1, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) MINI_CHECK(0, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) MINI_CHECK(1, (a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) MINI_CHECK(1, (a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) MINI_CHECK(1, (a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) MINI_CHECK(1, (a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) MINI_CHECK(1, (a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_null(p, ...) MINI_CHECK(1, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) MINI_CHECK(1, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) MINI_CHECK(1, strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) MINI_CHECK(1, strcmp((a), (b)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_assert_fail(...) MINI_CHECK(1, 0, "fail", __VA_ARGS__)

#endif
