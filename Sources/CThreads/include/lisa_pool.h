// lisa_pool: a persistent pool of worker threads for the many short parallel regions of a decoding step.
//
// DispatchQueue.concurrentPerform wakes its threads for every call (measured ≈ 20–35 µs a call on the 2-core build
// machine, where a Qwen decoding step makes ~200 parallel products of 10–200 µs each). Here the workers spin for a
// while after each region, so the next one starts in well under a microsecond, then sleep on a condition variable.
#ifndef LISA_POOL_H
#define LISA_POOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One task of a region: fn(ctx, i) for i in [0, n).
typedef void (*lk_pool_fn)(void *ctx, int64_t i);

/// Threads used by lk_pool_run, the caller included (≥ 1). Workers start lazily and stay.
void lk_pool_set_threads(int n);
int lk_pool_threads(void);

/// Runs fn(ctx, i) for every i in [0, n), each exactly once, tasks taken one by one by the caller and the workers;
/// returns when all have finished. A call made while the pool is busy (from a task, or from another thread) runs
/// its tasks on the calling thread, in order — the results never depend on which thread ran a task.
void lk_pool_run(int64_t n, lk_pool_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
