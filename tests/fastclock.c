/* A wall clock that runs FASTCLOCK_FACTOR times faster than the real one, from the first reading on.
 *
 * Loaded with LD_PRELOAD into a test's interpreter, it lets OpenSSL's DTLS retransmission timer
 * (RFC 6347 §4.2.4: 1 s doubling to 60 s, about seven minutes before OpenSSL gives up) run out in
 * seconds. Only the wall clock (gettimeofday, CLOCK_REALTIME) is scaled: the monotonic clock that
 * Python's sleeps wait on is left alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static double factor = 0;
static long long base_ns = -1;

static long long scaled(long long now_ns)
{
    if (factor == 0) {
        const char *text = getenv("FASTCLOCK_FACTOR");
        factor = text ? atof(text) : 1.0;
    }
    if (base_ns < 0)
        base_ns = now_ns;
    return base_ns + (long long)((double)(now_ns - base_ns) * factor);
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (!real)
        real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(clock, ts);
    if (rc == 0 && clock == CLOCK_REALTIME) {
        long long ns = scaled(ts->tv_sec * 1000000000LL + ts->tv_nsec);
        ts->tv_sec = ns / 1000000000LL;
        ts->tv_nsec = ns % 1000000000LL;
    }
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}
