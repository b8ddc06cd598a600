/* SPDX-License-Identifier: MIT */
/*
 * syscall: the cost of the blocking-call handoff when the call does not
 * block. In a goroutine:
 *   ns_per_op_handoff     goro_syscall_begin(); goro_syscall_end();
 *   ns_per_op_getpid      begin; syscall(SYS_getpid); end
 *   ns_per_op_raw_getpid  syscall(SYS_getpid) alone
 * Twin: bench/go/syscall/main.go. Go cannot call entersyscall/exitsyscall
 * alone, so its ns_per_op_handoff is syscall.Syscall(SYS_GETPID) (which
 * brackets the call with them) minus syscall.RawSyscall(SYS_GETPID) (which
 * does not); its getpid and raw_getpid figures are those two. (Go's own
 * syscall.Getpid is a raw call: getpid never blocks.) Median of 3 passes
 * after a warm-up pass.
 * Usage: bench_syscall [N]
 */
#include "bench.h"

#include <sys/syscall.h>

static long n_ops = 10000000;
static volatile long sink;
static double cold[3], passes[3][BENCH_PASSES];

static double pass_handoff(long n)
{
    int64_t t0 = goro_now();
    for (long i = 0; i < n; i++) {
        goro_syscall_begin();
        goro_syscall_end();
    }
    return (double)(goro_now() - t0) / (double)n;
}

static double pass_getpid(long n)
{
    long s = 0;
    int64_t t0 = goro_now();
    for (long i = 0; i < n; i++) {
        goro_syscall_begin();
        s += syscall(SYS_getpid);
        goro_syscall_end();
    }
    sink = s;
    return (double)(goro_now() - t0) / (double)n;
}

static double pass_raw(long n)
{
    long s = 0;
    int64_t t0 = goro_now();
    for (long i = 0; i < n; i++)
        s += syscall(SYS_getpid);
    sink = s;
    return (double)(goro_now() - t0) / (double)n;
}

static void driver(void *arg)
{
    (void)arg;
    long nsys = n_ops / 10;
    BENCH_MEASURE(cold[0], passes[0], pass_handoff(n_ops));
    BENCH_MEASURE(cold[1], passes[1], pass_getpid(nsys));
    BENCH_MEASURE(cold[2], passes[2], pass_raw(nsys));
}

int main(int argc, char **argv)
{
    n_ops = bench_arg(argc, argv, n_ops);
    bench_header("syscall");
    printf("# n=%ld begin/end pairs, %ld getpid calls\n", n_ops, n_ops / 10);
    bench_run(driver, NULL);
    bench_report("syscall", "ns_per_op_handoff", cold[0], passes[0], BENCH_PASSES);
    bench_report("syscall", "ns_per_op_getpid", cold[1], passes[1], BENCH_PASSES);
    bench_report("syscall", "ns_per_op_raw_getpid", cold[2], passes[2], BENCH_PASSES);
    return 0;
}
