/* SPDX-License-Identifier: MIT */
// ctest-labels: chan;select
/*
 * test_select.cpp: goro::select (goro.hpp): each case form (receive with a
 * T, std::optional<T> or no handler; send; default_; timeout; deadline),
 * the returned position, nil channels, random choice among ready cases, a
 * boxed value of a send case that lost is destroyed, a send on a closed
 * channel throws, and no heap allocation for 8 channel cases.
 */
#include <cstdlib>
#include <memory>
#include <new>

#include "testutil.hpp"

using namespace std::chrono_literals;

// Counts allocations made by this thread while `counting` is set. TSan's
// runtime defines operator new itself, so a TSan build does not count, nor
// does a run under Valgrind (which replaces it).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NO_COUNTING 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define NO_COUNTING 1
#endif
#ifndef NO_COUNTING
#define NO_COUNTING 0
#endif
static thread_local bool counting;
static thread_local long allocations;

// Never inlined: Valgrind replaces these symbols, all of them or none.
#if !NO_COUNTING
[[gnu::noinline]] void *operator new(std::size_t n)
{
    if (counting)
        allocations++;
    if (void *p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"   // free() of malloc()'s memory
#endif
[[gnu::noinline]] void operator delete(void *p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void *p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

void forms()
{
    goro::chan<int> a(1), b(1);
    goro::chan<std::string> s(1);
    int got = 0;

    a.send(7);
    int pos = goro::select(goro::recv(b, [&](int) { got = -1; }),
                           goro::recv(a, [&](int v) { got = v; }));
    CHECK_EQ(pos, 1);
    CHECK_EQ(got, 7);

    // default_ when nothing is ready; its position counts.
    bool dflt = false;
    pos = goro::select(goro::recv(a, [](int) {}), goro::default_([&] { dflt = true; }));
    CHECK(dflt && pos == 1);

    // send
    bool sent = false;
    pos = goro::select(goro::default_([] {}), goro::send(s, std::string("hi"), [&] { sent = true; }));
    CHECK(sent && pos == 1);
    CHECK(*s.recv() == "hi");

    // timeout and deadline
    int64_t t0 = goro_now();
    bool fired = false;
    pos = goro::select(goro::recv(a), goro::timeout(20ms, [&] { fired = true; }));
    CHECK(fired && pos == 1);
    CHECK(goro_now() - t0 >= 20 * GORO_MILLISECOND);
    fired = false;
    pos = goro::select(goro::deadline(goro::now() + 5ms, [&] { fired = true; }), goro::recv(b));
    CHECK(fired && pos == 0);

    // closed: T{} for a T handler, empty for an optional one, a call for none
    b.close();
    got = 1;
    goro::select(goro::recv(b, [&](int v) { got = v; }));
    CHECK_EQ(got, 0);
    bool empty = false;
    goro::select(goro::recv(b, [&](std::optional<int> v) { empty = !v; }));
    CHECK(empty);
    bool called = false;
    goro::select(goro::recv(b, [&] { called = true; }));
    CHECK(called);

    // an optional handler with a value
    a.send(3);
    goro::select(goro::recv(a, [&](std::optional<int> v) { got = v ? *v : -1; }));
    CHECK_EQ(got, 3);

    // send on a closed channel throws (Go panics)
    expect_error(goro::errc::closed, [&] { goro::select(goro::send(b, 1)); });

    // a nil channel never proceeds
    goro::chan<int> nil;
    pos = goro::select(goro::recv(nil), goro::send(nil, 1), goro::default_([] {}));
    CHECK_EQ(pos, 2);
}

// Both cases ready every time: each must be chosen now and then.
void random_choice()
{
    goro::chan<int> a(1), b(1);
    int hits[2] = {0, 0};
    for (int i = 0; i < 400; i++) {
        a.try_send(1);
        b.try_send(2);
        goro::select(goro::recv(a, [&](int) { hits[0]++; }), goro::recv(b, [&](int) { hits[1]++; }));
    }
    CHECK(hits[0] > 50 && hits[1] > 50);
}

// A boxed value whose send case lost is destroyed; one that won arrives.
void boxed_values()
{
    {
        goro::chan<counted> a(1), full(0);
        for (int i = 0; i < 10; i++) {
            goro::select(goro::send(full, counted("lost")), goro::send(a, counted("won")));
            auto v = a.recv();
            CHECK(v && v->s == "won");
        }
        a.send(counted("left in the buffer"));
    }
    CHECK_EQ(counted::live.load(), 0);
}

// Across goroutines: a producer per channel, one consumer selecting,
// quit through a context.
void fan_in()
{
    goro::chan<int> a(0), b(0);
    auto ctx = goro::with_cancel(goro::background());
    goro::waitgroup wg;
    for (auto ch : {a, b})
        wg.go([ch, ctx] {
            for (int i = 0;; i++) {
                bool done = false;
                goro::select(goro::send(ch, i), goro::recv(ctx.done(), [&] { done = true; }));
                if (done)
                    return;
            }
        });
    long n = 0;
    while (n < 1000)
        goro::select(goro::recv(a, [&](int) { n++; }), goro::recv(b, [&](int) { n++; }));
    ctx.cancel();
    wg.wait();
    CHECK(ctx.err() == goro::errc::canceled);
}

void no_allocation()
{
    goro::chan<int> c[8] = {goro::chan<int>(1), goro::chan<int>(1), goro::chan<int>(1),
                            goro::chan<int>(1), goro::chan<int>(1), goro::chan<int>(1),
                            goro::chan<int>(1), goro::chan<int>(1)};
    c[5].send(5);
    int got = -1;
    auto h = [&](int v) { got = v; };
    counting = true;
    goro::select(goro::recv(c[0], h), goro::recv(c[1], h), goro::recv(c[2], h),
                 goro::recv(c[3], h), goro::recv(c[4], h), goro::recv(c[5], h),
                 goro::send(c[6], 6), goro::recv(c[7], h));
    counting = false;
    CHECK_EQ(allocations, 0);
    CHECK(got == 5 || *c[6].recv() == 6);

    // The count works (where it is kept at all).
    counting = true;
    int *volatile p = new int(1);   // volatile: a new/delete pair may be elided
    delete p;
    counting = false;
    CHECK(allocations == 1 || NO_COUNTING || under_valgrind());
}

}  // namespace

int main()
{
    forms();
    random_choice();
    boxed_values();
    fan_in();
    no_allocation();
    TEST_PASS("test_select (C++)");
}
