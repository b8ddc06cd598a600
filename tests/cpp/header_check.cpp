/* SPDX-License-Identifier: MIT */
/*
 * header_check.cpp: goro.hpp on its own, for the cpp_header.* tests, which
 * compile this file with every g++ and clang++ found, as C++17 and C++20,
 * at -Wall -Wextra -Wpedantic -Werror. It instantiates the templates a
 * program uses most, so their bodies are checked too.
 */
#include <goro.hpp>

#include <memory>
#include <shared_mutex>
#include <string>

using namespace std::chrono_literals;

int header_check();
int header_check()
{
    goro::chan<int> a(1);
    goro::chan<std::string> b(0);
    goro::chan<std::unique_ptr<int>> c(2);
    goro::send_chan<int> tx = a;
    goro::recv_chan<int> rx = a;
    goro::mutex mu;
    goro::rwmutex rw;
    goro::cond cv;
    goro::once once;
    goro::waitgroup wg;
    goro::context ctx = goro::with_timeout(goro::background(), 10ms);
    goro::errgroup g(ctx);
    goro::semaphore sem(2);
    goro::timer t(1s);
    goro::ticker tick(1s);
    {
        std::scoped_lock lk(mu);
        std::shared_lock rl(rw);
    }
    std::unique_lock<goro::mutex> lk(mu);
    cv.wait_until(lk, goro::now() + 1ms);
    lk.unlock();
    once.call([] {});
    wg.go([tx] { tx.send(1); });
    wg.wait();
    g.go([&]() -> std::error_code { return {}; });
    g.go([] { return 0; });
    (void)g.wait();
    (void)sem.acquire(ctx);
    sem.release();
    goro::go([](int, std::string) {}, 1, std::string("x"));
    for (int v : rx)
        (void)v;
    return goro::select(goro::recv(rx, [](int) {}), goro::recv(b, [](std::optional<std::string>) {}),
                        goro::send(c, std::make_unique<int>(1)), goro::recv(ctx.done()),
                        goro::recv(t.chan()), goro::timeout(1ms, [] {}));
}
