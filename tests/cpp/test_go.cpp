/* SPDX-License-Identifier: MIT */
// ctest-labels: sched
/*
 * test_go.cpp: goro::go (goro.hpp): capturing lambdas (the size of a
 * pointer, larger), functions with arguments, move-only callables and
 * arguments, callables too large or not trivially copyable to be copied
 * inline, options (name), the call site recorded for the goroutine,
 * waitgroup::go. (test_panic.cpp: an exception escaping a goroutine.)
 */
#include <memory>
#include <string>

#include "testutil.hpp"

namespace {

void add_to(std::atomic<long> *sum, long v, std::string s, goro::waitgroup *wg)
{
    *sum += v + static_cast<long>(s.size());
    wg->done();
}

// The record of the goroutine with this id (CHECKs that it exists).
goro_ginfo record_of(uint64_t id)
{
    goro_ginfo all[256];
    int n = goro_goroutines(all, 256);
    for (int i = 0; i < n && i < 256; i++)
        if (all[i].id == id)
            return all[i];
    CHECK(!"goroutine not found");
    return {};
}

void forms()
{
    std::atomic<long> sum{0};
    goro::waitgroup wg;

    // capturing lambdas, by reference and by value
    for (int i = 0; i < 100; i++) {
        wg.add(1);
        goro::go([&sum, &wg, i] {
            sum += i;
            wg.done();
        });
    }
    wg.wait();
    CHECK_EQ(sum.load(), 4950);

    // one pointer's worth of captures: passed as goro_go's argument
    static goro::waitgroup one;
    one.add(1);
    goro::go([&sum] {
        sum += 1000;
        one.done();
    });
    one.wait();
    CHECK_EQ(sum.load(), 5950);

    // a function and its arguments (copied: the string outlives the caller's)
    sum = 0;
    for (int i = 0; i < 10; i++) {
        wg.add(1);
        std::string s(static_cast<size_t>(i), 'x');
        goro::go(add_to, &sum, 100L, s, &wg);
    }
    wg.wait();
    CHECK_EQ(sum.load(), 1000 + 45);

    // move-only: a lambda owning a unique_ptr, and a unique_ptr argument
    auto p = std::make_unique<int>(5);
    wg.add(2);
    goro::go([p = std::move(p), &sum, &wg] {
        sum += *p;
        wg.done();
    });
    goro::go([&](std::unique_ptr<int> q) { sum += *q; wg.done(); }, std::make_unique<int>(6));
    wg.wait();
    CHECK_EQ(sum.load(), 1045 + 11);

    // larger than the inline copy (GORO_COPY_INLINE): goes through the heap
    struct big {
        char bytes[GORO_COPY_INLINE * 2];
    } b{};
    b.bytes[sizeof b.bytes - 1] = 9;
    wg.go([b, &sum] { sum += b.bytes[sizeof b.bytes - 1]; });
    wg.wait();
    CHECK_EQ(sum.load(), 1056 + 9);

    // counted values captured by value: every copy destroyed
    {
        counted c("x");
        for (int i = 0; i < 10; i++)
            wg.go([c] { CHECK(c.s == "x"); });
        wg.wait();
    }
    CHECK_EQ(counted::live.load(), 0);
}

void records()
{
    // The goroutine's creation site is this file, at the call.
    goro::chan<uint64_t> ids(1);
    int line = __LINE__ + 1;
    goro::go([ids] { ids.send(goro_id()); goro_sleep(GORO_SECOND); });
    goro_ginfo g = record_of(*ids.recv());
    CHECK(strstr(g.file, "test_go.cpp"));
    CHECK_EQ(g.line, line);

    goro::options opts{};
    opts.name = "worker";
    goro::go(opts, [ids] { ids.send(goro_id()); goro_sleep(GORO_SECOND); });
    g = record_of(*ids.recv());
    CHECK(g.name && strcmp(g.name, "worker") == 0);

    // waitgroup::go records the caller too
    goro::waitgroup wg;
    line = __LINE__ + 1;
    wg.go([ids] { ids.send(goro_id()); goro_sleep(GORO_SECOND); });
    g = record_of(*ids.recv());
    CHECK(strstr(g.file, "test_go.cpp"));
    CHECK_EQ(g.line, line);
}

}  // namespace

int main()
{
    forms();
    records();
    TEST_PASS("test_go (C++)");
}
