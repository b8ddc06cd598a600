/* SPDX-License-Identifier: MIT */
/*
 * format.h: the binary format of goro's execution traces (goro_trace_start,
 * GORODEBUG=trace=FILE), written by src/trace/trace.c and read by
 * tools/goro-trace. This header is the format's one description.
 *
 * A trace is a file header followed by batches, in the order threads
 * handed them to the writer (so batches of different threads interleave;
 * each batch's events are in time order). Fixed-size integers are
 * little-endian (the writing machine's order; readers check the magic).
 *
 *   file header (32 bytes): "GOROTRC3" (8 bytes), u32 version (3),
 *                           u32 clock (GORO_TR_CLOCK_*), u64 ticks and
 *                           i64 ns: a clock pair read at the start
 *   batch header (40 bytes): u32 GORO_TR_BATCH_MAGIC, u32 size (bytes of
 *                           events that follow), i32 tid (kernel thread
 *                           id), i32 m (M id, -1: not an M), u64 base
 *                           (ticks the first event's delta counts from),
 *                           u64 ticks and i64 ns: a clock pair read when
 *                           the batch was written (after its events)
 *
 * Times are ticks: the CPU's constant-rate counter (rdtsc on x86-64 where
 * /proc/cpuinfo says constant_tsc and nonstop_tsc, cntvct_el0 on arm64;
 * GORO_TR_CLOCK_TICKS) or CLOCK_MONOTONIC nanoseconds (GORO_TR_CLOCK_NS,
 * elsewhere, or with GORO_TRACE_CLOCK=ns in the environment). A reader
 * turns ticks into CLOCK_MONOTONIC ns by interpolating between the clock
 * pairs (the file header's and every batch header's), sorted by ticks;
 * with GORO_TR_CLOCK_NS the pairs are equal and the conversion is the
 * identity.
 *
 * An event is one byte, its type (GORO_TR_*), then unsigned LEB128
 * varints: the time (ticks since the batch's previous timed event, or
 * since its base for the first), the P (its id + 1; 0: none), then the type's
 * arguments (goro_tr_nargs below). An argument that is an address
 * (goro_tr_objs: a wait object, a timer) is written as the zigzag-encoded
 * difference from the previous such address in the batch (0 at its
 * start), so a goroutine that keeps waiting on the same channel spends a
 * byte on it. A goroutine switch is one event: a stop names the goroutine
 * that starts at its time on its P and thread (GORO_TR_GO_STOP's next), so
 * a ping-pong round trip (a ready and a stop on each side) is about 26
 * bytes. Text events then carry varint lengths and the
 * bytes (no NUL) after their arguments: GORO_TR_STRING and GORO_TR_REGION_*
 * one text, GORO_TR_LOG two (category, message). A string's time delta
 * is 0 and its P is 0.
 *
 * GORO_TR_DEFERRED (0x80) set in the type byte: the event has no time
 * varint and takes the time of the batch's next timed event that is not a
 * string (the batch header's ticks if none follows). The writer uses it
 * for readies, one clock read fewer per wakeup: a ready is stamped when
 * its thread next reads the clock, usually at once as the readier parks
 * or yields, but later if it runs on, so a reader puts it no later than
 * the woken goroutine's start.
 *
 * A reader stops at the first incomplete batch header or event: a file
 * truncated anywhere (a program killed while writing) is read up to its
 * last whole event. A batch holds whole events only (a fatal flush
 * writes what was complete).
 *
 * Strings (function names, creation sites) are interned: GORO_TR_STRING
 * defines key -> text once per thread and trace; other events carry the
 * key. A reader collects every definition before it resolves keys (a
 * definition may come in a later batch than its use).
 *
 * Events (arguments after the time and the P, in order; "g" is a
 * goroutine id, 0 for none):
 */
#ifndef GORO_TRACE_FORMAT_H
#define GORO_TRACE_FORMAT_H

#include <stdint.h>

#define GORO_TR_MAGIC "GOROTRC3"
#define GORO_TR_VERSION 3
#define GORO_TR_BATCH_MAGIC 0x48435442u   /* "BTCH" */
#define GORO_TR_NONE 0xffffffffu          /* no P */
#define GORO_TR_DEFERRED 0x80             /* type byte: timed by the next event */
#define GORO_TR_FILE_HEADER 32
#define GORO_TR_BATCH_HEADER 40

/* The file header's clock. */
enum { GORO_TR_CLOCK_NS = 0, GORO_TR_CLOCK_TICKS = 1 };

enum {
    GORO_TR_STRING = 1,     /* key, text (above) */
    GORO_TR_GO_CREATE,      /* g, parent g (all ones: alive when the trace started),
                               function key, site key, line */
    GORO_TR_GO_START,       /* g: starts running on this thread */
    GORO_TR_GO_STOP,        /* g, why (GORO_TR_STOP_*), wait reason, object,
                               next g (0: none): starts on this thread and P
                               at this time (no GORO_TR_GO_START of its own) */
    GORO_TR_GO_READY,       /* g readied, by g (0: a plain thread or the runtime) */
    GORO_TR_SYSCALL_ENTER,  /* g; P: left in its syscall state */
    GORO_TR_SYSCALL_EXIT,   /* g, 1 if it got its own P back; P: now */
    GORO_TR_HANDOFF,        /* (no arguments) P handed off (goro__handoffp): by
                               sysmon from a blocking call or a CPU hog, by a
                               wired M that blocks, by an M that exits */
    GORO_TR_STEAL,          /* victim P, goroutines taken; P: the thief */
    GORO_TR_PREEMPT,        /* (sysmon) slice over */
    GORO_TR_RETAKE,         /* (sysmon) P taken from a CPU hog */
    GORO_TR_PROCS,          /* new GOMAXPROCS */
    GORO_TR_TIMER,          /* a timer fires: its address */
    GORO_TR_NETPOLL,        /* goroutines the netpoller made runnable */
    GORO_TR_REGION_BEGIN,   /* g, name (above) */
    GORO_TR_REGION_END,     /* g, name */
    GORO_TR_LOG,            /* g, category, message */
    GORO_TR_THREAD_EXIT,    /* (no arguments) this batch's thread ends */
    GORO_TR_NTYPES
};

/* Varint arguments of each type (after the time and the P; text after). */
static const uint8_t goro_tr_nargs[GORO_TR_NTYPES] = {
    [GORO_TR_GO_CREATE] = 5, [GORO_TR_GO_START] = 1, [GORO_TR_GO_STOP] = 5,
    [GORO_TR_GO_READY] = 2, [GORO_TR_SYSCALL_ENTER] = 1, [GORO_TR_SYSCALL_EXIT] = 2,
    [GORO_TR_STEAL] = 2, [GORO_TR_PROCS] = 1, [GORO_TR_TIMER] = 1, [GORO_TR_NETPOLL] = 1,
    [GORO_TR_REGION_BEGIN] = 1, [GORO_TR_REGION_END] = 1, [GORO_TR_LOG] = 1,
    [GORO_TR_STRING] = 1,
};

/* Texts after the arguments (length-prefixed). */
static const uint8_t goro_tr_ntext[GORO_TR_NTYPES] = {
    [GORO_TR_STRING] = 1, [GORO_TR_REGION_BEGIN] = 1, [GORO_TR_REGION_END] = 1, [GORO_TR_LOG] = 2,
};

/* Bit i: argument i is an address, delta-encoded (above). */
static const uint8_t goro_tr_objs[GORO_TR_NTYPES] = {
    [GORO_TR_GO_STOP] = 1u << 3, [GORO_TR_TIMER] = 1u << 0,
};

/* GORO_TR_GO_STOP's why. */
enum { GORO_TR_STOP_YIELD = 1, GORO_TR_STOP_PARK, GORO_TR_STOP_EXIT, GORO_TR_STOP_REQUEUE };

#endif
