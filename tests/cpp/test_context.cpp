/* SPDX-License-Identifier: MIT */
// ctest-labels: time
/*
 * test_context.cpp: goro.hpp's contexts (cancel, timeout, deadline, value,
 * done() as a recv_chan, err and cause as error_codes, the last reference
 * cancels), errgroup (tasks returning int, std::error_code or void; the
 * first failure cancels the group's context and is wait()'s result; an
 * exception is rethrown by wait(); limits), timers, tickers and sleep.
 */
#include <stdexcept>

#include "testutil.hpp"

using namespace std::chrono_literals;

namespace {

void contexts()
{
    goro::context bg;
    CHECK(!bg.done());                 // never ends: nil channel
    CHECK(!bg.err());
    expect_error(goro::errc::invalid_argument, [&] { bg.cancel(); });

    auto ctx = goro::with_cancel(bg);
    auto done = ctx.done();
    CHECK(done && !done.try_recv().closed());
    goro::chan<int> seen(1);
    goro::go([ctx, seen] {
        ctx.done().recv();
        seen.send(1);
    });
    ctx.cancel();
    CHECK_EQ(*seen.recv(), 1);
    CHECK(ctx.err() == goro::errc::canceled);
    CHECK(ctx.err() == std::errc::operation_canceled);
    CHECK(!done.recv());               // closed

    auto t = goro::with_timeout(bg, 10ms);
    CHECK(t.deadline() && *t.deadline() <= goro::now() + 10ms);
    auto child = goro::with_cancel(t);
    child.done().recv();
    CHECK(child.err() == goro::errc::timed_out);

    auto d = goro::with_deadline(bg, std::chrono::system_clock::now() + 5ms);
    d.done().recv();
    CHECK(d.err() == goro::errc::timed_out);

    auto c2 = goro::with_cancel(bg);
    c2.cancel(std::make_error_code(std::errc::connection_reset));
    CHECK(c2.err() == goro::errc::canceled);
    CHECK(c2.cause() == std::errc::connection_reset);

    static goro::context_key<std::string> user;
    std::string name = "gopher";
    auto v = goro::with_value(bg, user, &name);
    auto inner = goro::with_cancel(v);
    CHECK(inner.value(user) && *inner.value(user) == "gopher");
    static goro::context_key<int> other;
    CHECK(!inner.value(other));

    // The last reference to a cancellable context cancels it.
    goro::recv_chan<std::monostate> orphan;
    {
        auto last = goro::with_cancel(bg);
        orphan = last.done();
    }
    CHECK(!orphan.recv());
}

void errgroups()
{
    {
        goro::errgroup g;
        std::atomic<int> ran{0};
        g.go([&] { ran++; });
        g.go([&] { ran++; return 0; });
        g.go([&]() -> std::error_code { ran++; return {}; });
        CHECK(!g.wait());
        CHECK_EQ(ran.load(), 3);
    }
    {
        auto parent = goro::with_cancel(goro::background());
        goro::errgroup g(parent);
        auto ctx = g.ctx();
        g.go([ctx] {   // waits for the failure to cancel it
            ctx.done().recv();
            return ctx.err();
        });
        g.go([]() -> std::error_code { return std::make_error_code(std::errc::broken_pipe); });
        auto ec = g.wait();
        CHECK(ec == std::errc::broken_pipe);
        CHECK(ctx.err() == goro::errc::canceled);
        CHECK(!parent.err());
    }
    {
        goro::errgroup g;
        g.go([] { return GORO_ETIMEDOUT; });
        CHECK(g.wait() == goro::errc::timed_out);
    }
    {
        goro::errgroup g;
        auto ctx = g.ctx();
        g.go([] { throw std::runtime_error("task failed"); });
        g.go([ctx] { ctx.done().recv(); });
        bool caught = false;
        try {
            (void)g.wait();
        } catch (const std::runtime_error &e) {
            caught = strcmp(e.what(), "task failed") == 0;
        }
        CHECK(caught);
        CHECK(ctx.err());
    }
    {
        goro::errgroup g;
        g.set_limit(1);
        goro::chan<int> gate(0);
        g.go([gate] { gate.recv(); });
        CHECK(!g.try_go([] {}));
        expect_error(goro::errc::invalid_argument, [&] { g.set_limit(2); });
        gate.close();
        CHECK(!g.wait());
    }
    std::atomic<bool> finished{false};
    {
        goro::errgroup g;   // the destructor waits for a task not waited for
        g.go([&] { goro::sleep(5ms); finished = true; });
    }
    CHECK(finished.load());
}

void timers()
{
    int64_t t0 = goro_now();
    goro::sleep(5ms);
    CHECK(goro_now() - t0 >= 5 * GORO_MILLISECOND);

    auto fired = goro::after(2ms).recv();
    CHECK(fired && *fired >= goro::now() - 1s && *fired <= goro::now());

    goro::timer tm(1h);
    CHECK(tm.stop());
    CHECK(!tm.stop());
    tm.reset(1ms);
    CHECK(tm.chan().recv().has_value());

    goro::ticker tick(2ms);
    int ticks = 0;
    for (auto when : tick.chan()) {
        (void)when;
        if (++ticks == 3)
            break;
    }
    tick.reset(1ms);
    tick.chan().recv();
    tick.stop();
    expect_error(goro::errc::invalid_argument, [] { goro::ticker bad(0s); });
}

}  // namespace

int main()
{
    contexts();
    errgroups();
    timers();
    TEST_PASS("test_context (C++)");
}
