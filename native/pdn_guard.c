/* Turns darknet's exit()/assert() into a status returned by the active pdn_* call. See pdn_native.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "pdn_guard.h"

__thread pdn_guard *pdn_active_guard = NULL;
static int pdn_verbose = 0;
static __thread char pdn_message[1024];

void pdn_set_verbose(int verbose) { pdn_verbose = verbose; }
int pdn_get_verbose(void) { return pdn_verbose; }
const char *pdn_last_message(void) { return pdn_message; }
void pdn_clear_message(void) { pdn_message[0] = 0; }

/* Keep the last non-blank line darknet printed on this thread. */
static void remember(const char *text)
{
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) --n;
    if (n == 0) return;
    const char *start = text;
    const char *nl = NULL;
    for (const char *p = text; p < text + n; ++p) if (*p == '\n') nl = p;
    if (nl) start = nl + 1;
    size_t len = (size_t)(text + n - start);
    if (len >= sizeof pdn_message) len = sizeof pdn_message - 1;
    memcpy(pdn_message, start, len);
    pdn_message[len] = 0;
}

static int print_to(FILE *stream, const char *fmt, va_list ap)
{
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, copy);
    va_end(copy);
    remember(buf);
    if (pdn_verbose) return vfprintf(stream, fmt, ap);
    return n;
}

int pdn_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = print_to(stdout, fmt, ap);
    va_end(ap);
    return n;
}

int pdn_fprintf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n;
    if (stream == stdout || stream == stderr) n = print_to(stream, fmt, ap);
    else n = vfprintf(stream, fmt, ap);
    va_end(ap);
    return n;
}

void pdn_perror(const char *s)
{
    char buf[1024];
    int err = errno;
    if (err) snprintf(buf, sizeof buf, "%s: %s", s ? s : "", strerror(err));
    else snprintf(buf, sizeof buf, "%s", s ? s : "");
    remember(buf);
    if (pdn_verbose) fprintf(stderr, "%s\n", buf);
}

/* The linker routes darknet's references to exit/__assert_fail here (-Wl,--wrap=...). */
void __real_exit(int status) __attribute__((noreturn));
void __real___assert_fail(const char *assertion, const char *file, unsigned int line, const char *function)
    __attribute__((noreturn));

void __wrap_exit(int status)
{
    pdn_guard *g = pdn_active_guard;
    if (g) {
        g->exit_status = status;
        longjmp(g->env, PDN_EXITED);
    }
    __real_exit(status);
}

void __wrap___assert_fail(const char *assertion, const char *file, unsigned int line, const char *function)
{
    pdn_guard *g = pdn_active_guard;
    if (g) {
        /* darknet's error() prints its reason, then asserts: keep the reason first */
        char previous[sizeof pdn_message];
        snprintf(previous, sizeof previous, "%s", pdn_message);
        const char *base = strrchr(file, '/');
        snprintf(pdn_message, sizeof pdn_message, "%s%s(assert %s at %s:%u in %s)", previous,
                 previous[0] ? " " : "", assertion, base ? base + 1 : file, line, function);
        longjmp(g->env, PDN_ASSERTED);
    }
    __real___assert_fail(assertion, file, line, function);
}
