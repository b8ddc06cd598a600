/* SPDX-License-Identifier: MIT */
// ctest-labels: chan
/*
 * test_chan.cpp: goro::chan<T> (goro.hpp): values of any movable T arrive
 * in order, constructed, moved and destroyed exactly once each (counted),
 * including values still buffered when the last handle goes; try_ and
 * _until results; close, len, cap, range-for; directional views; the
 * errors (send on or close of a closed channel, a nil channel).
 */
#include <memory>
#include <string>

#include "testutil.hpp"

using namespace std::chrono_literals;

namespace {

void basics()
{
    goro::chan<int> ch(3);
    CHECK_EQ(ch.cap(), 3);
    ch.send(1);
    ch.send(2);
    CHECK(ch.try_send(3));
    CHECK(!ch.try_send(4));          // full
    CHECK_EQ(ch.len(), 3);
    CHECK_EQ(*ch.recv(), 1);
    auto r = ch.try_recv();
    CHECK(r && *r == 2);
    CHECK(ch.send_until(5, goro::now() + 1ms));   // room for two
    CHECK(ch.send_until(6, goro::now() + 1ms));
    CHECK(!ch.send_until(9, goro::now() + 1ms));  // full: timed out
    CHECK_EQ(*ch.recv(), 3);
    CHECK_EQ(*ch.recv(), 5);
    CHECK_EQ(*ch.recv(), 6);
    auto e = ch.try_recv();
    CHECK(!e && e.error() == goro::errc::again && !e.closed());
    auto t = ch.recv_until(std::chrono::system_clock::now() + 5ms);   // any clock
    CHECK(!t && t.error() == goro::errc::timed_out);
    CHECK(t.error() == std::errc::timed_out);                         // POSIX twin
    ch.send(7);
    ch.close();
    CHECK_EQ(*ch.recv(), 7);                                          // drained first
    CHECK(!ch.recv());
    CHECK(ch.try_recv().closed());
    expect_error(goro::errc::closed, [&] { ch.send(8); });
    expect_error(goro::errc::closed, [&] { ch.close(); });

    goro::chan<int> nil;
    CHECK(!nil);
    expect_error(goro::errc::invalid_argument, [&] { nil.send(1); });
    expect_error(goro::errc::invalid_argument, [&] { (void)nil.recv(); });
}

// Unbuffered: a rendezvous between goroutines; range-for until close;
// directional views.
void producer(goro::send_chan<int> out, int n)
{
    for (int i = 0; i < n; i++)
        out.send(i);
    out.close();
}

void rendezvous()
{
    goro::chan<int> ch(0);
    goro::go(producer, ch, 1000);
    goro::recv_chan<int> in = ch;
    long sum = 0, count = 0;
    for (int v : in) {
        CHECK_EQ(v, count);
        sum += v;
        count++;
    }
    CHECK_EQ(count, 1000);
    CHECK_EQ(sum, 999 * 1000 / 2);
}

// Move-only and non-trivial values, across goroutines and buffered.
void move_only()
{
    goro::chan<std::unique_ptr<int>> ch(2);
    goro::waitgroup wg;
    wg.go([ch] {
        for (int i = 0; i < 100; i++)
            ch.send(std::make_unique<int>(i));
        ch.close();
    });
    int expect = 0;
    for (auto &p : ch)
        CHECK_EQ(*p, expect++);
    CHECK_EQ(expect, 100);
    wg.wait();

    // A failed try_send leaves an rvalue as it was.
    goro::chan<std::unique_ptr<int>> full(0);
    auto p = std::make_unique<int>(42);
    CHECK(!full.try_send(std::move(p)));
    CHECK(p && *p == 42);
    CHECK(!full.send_until(std::move(p), goro::now() + 1ms));
    CHECK(p && *p == 42);
}

void lifetimes()
{
    {
        goro::chan<counted> ch(8);
        for (int i = 0; i < 5; i++)
            ch.send(counted("value " + std::to_string(i)));
        auto v = ch.recv();
        CHECK(v && v->s == "value 0");
        goro::recv_chan<counted> other = ch;   // a second handle
        ch = goro::chan<counted>();            // the first goes
        CHECK_EQ(other.len(), 4);
        auto w = other.try_recv();
        CHECK(w && w->s == "value 1");
    }   // three values still buffered when the last handle goes
    CHECK_EQ(counted::live.load(), 0);

    // Strings through an unbuffered channel between goroutines.
    goro::chan<std::string> ch(0);
    goro::go([ch] {
        for (int i = 0; i < 100; i++)
            ch.send(std::string(100, char('a' + i % 26)));
        ch.close();
    });
    int n = 0;
    for (auto &s : ch) {
        CHECK(s == std::string(100, char('a' + n % 26)));
        n++;
    }
    CHECK_EQ(n, 100);
}

// struct{}: a zero-size element.
void empty_elements()
{
    goro::chan<std::monostate> done(1);
    CHECK_EQ(goro_chan_cap(done.native_handle()), 1);
    done.send({});
    CHECK(done.recv().has_value());
    done.close();
    CHECK(!done.recv());
}

}  // namespace

int main()
{
    basics();
    rendezvous();
    move_only();
    lifetimes();
    empty_elements();
    TEST_PASS("test_chan (C++)");
}
