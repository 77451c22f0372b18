// The worker pool (see lisa_pool.h). One region at a time: `busy` is taken by the publishing caller; workers wait for
// `generation` to change, spinning first, then on `wake`. A worker takes tasks only inside `active` while
// `accepting` is 1; the caller closes `accepting` and waits for `active` to drain before it rewrites the region's
// parameters (a Dekker handshake on sequentially consistent atomics), so no worker ever reads a half-written region.
#include "lisa_pool.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define LK_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define LK_RELAX() __asm__ __volatile__("yield")
#else
#define LK_RELAX() ((void)0)
#endif

enum { LK_MAX_THREADS = 256 };
// How long a worker spins after its last task before it sleeps: long enough to bridge the serial work between two
// products of a decoding step (norms, RoPE, one query's attention), short enough not to hold a core when idle.
static const int64_t lk_spin_ns = 200000;

static pthread_mutex_t lk_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lk_wake = PTHREAD_COND_INITIALIZER;
static atomic_int lk_busy;                  // 1 while a region is published
static atomic_long lk_generation;           // bumped once per region
static atomic_long lk_next;                 // the next task index to take
static atomic_long lk_done;                 // tasks finished in this region
static atomic_int lk_active;                // workers inside a task loop
static atomic_int lk_accepting;             // 1 while the region's parameters may be read
static int64_t lk_n;
static lk_pool_fn lk_fn;
static void *lk_ctx;
static atomic_int lk_threads = 1;
static int lk_started = 0;
static _Thread_local int lk_in_task;

static int64_t lk_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void lk_take_tasks(void) {
    const int64_t n = lk_n;
    for (;;) {
        const int64_t i = atomic_fetch_add_explicit(&lk_next, 1, memory_order_relaxed);
        if (i >= n) return;
        lk_fn(lk_ctx, i);
        atomic_fetch_add_explicit(&lk_done, 1, memory_order_release);
    }
}

static void *lk_worker(void *arg) {
    (void)arg;
    lk_in_task = 1;                         // a region started from a task runs inline
    long seen = atomic_load_explicit(&lk_generation, memory_order_acquire);
    for (;;) {
        int64_t idle_since = lk_now_ns();
        long g;
        for (int spins = 0;; spins++) {
            g = atomic_load_explicit(&lk_generation, memory_order_acquire);
            if (g != seen) break;
            LK_RELAX();
            if ((spins & 255) == 255 && lk_now_ns() - idle_since > lk_spin_ns) {
                pthread_mutex_lock(&lk_mutex);
                while ((g = atomic_load_explicit(&lk_generation, memory_order_acquire)) == seen)
                    pthread_cond_wait(&lk_wake, &lk_mutex);
                pthread_mutex_unlock(&lk_mutex);
                break;
            }
        }
        seen = g;
        atomic_fetch_add(&lk_active, 1);
        if (atomic_load(&lk_accepting)) lk_take_tasks();
        atomic_fetch_sub(&lk_active, 1);
    }
    return NULL;
}

void lk_pool_set_threads(int n) {
    if (n < 1) n = 1;
    if (n > LK_MAX_THREADS) n = LK_MAX_THREADS;
    pthread_mutex_lock(&lk_mutex);
    while (lk_started < n - 1) {
        pthread_t t;
        if (pthread_create(&t, NULL, lk_worker, NULL) != 0) break;
        pthread_detach(t);
        lk_started++;
    }
    lk_threads = lk_started + 1 < n ? lk_started + 1 : n;
    pthread_mutex_unlock(&lk_mutex);
}

int lk_pool_threads(void) { return lk_threads; }

void lk_pool_run(int64_t n, lk_pool_fn fn, void *ctx) {
    int expected = 0;
    if (n <= 1 || lk_threads <= 1 || lk_in_task
        || !atomic_compare_exchange_strong_explicit(&lk_busy, &expected, 1, memory_order_acq_rel, memory_order_relaxed)) {
        for (int64_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    atomic_store(&lk_accepting, 0);
    while (atomic_load(&lk_active) != 0) LK_RELAX();        // workers still reading the previous region leave
    lk_n = n; lk_fn = fn; lk_ctx = ctx;
    atomic_store_explicit(&lk_next, 0, memory_order_relaxed);
    atomic_store_explicit(&lk_done, 0, memory_order_relaxed);
    atomic_store(&lk_accepting, 1);
    pthread_mutex_lock(&lk_mutex);
    atomic_fetch_add_explicit(&lk_generation, 1, memory_order_release);
    pthread_cond_broadcast(&lk_wake);
    pthread_mutex_unlock(&lk_mutex);
    lk_in_task = 1;
    lk_take_tasks();
    lk_in_task = 0;
    while (atomic_load_explicit(&lk_done, memory_order_acquire) < n) LK_RELAX();
    atomic_store_explicit(&lk_busy, 0, memory_order_release);
}
