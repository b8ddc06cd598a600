/* SPDX-License-Identifier: MIT */
// 32_ctx_timeout.cpp: the C++ twin of 32_ctx_timeout.c: three workers do
// work every 100 ms until a 370 ms timeout cancels their context; each
// then prints why it stopped ("timed out": context deadline exceeded).
#include <goro.hpp>

#include <cstdio>

using namespace std::chrono_literals;

static void do_work(const goro::context &ctx, int id)
{
    for (bool done = false; !done;)
        goro::select(
            goro::recv(ctx.done(), [&] {   // case <-ctx.Done():
                std::printf("worker %d cancelled: %s\n", id, ctx.err().message().c_str());
                done = true;
            }),
            goro::default_([&] {           // default:
                std::printf("worker %d: doing work\n", id);
                goro::sleep(100ms);
            }));
}

int main()
{
    // Context with a timeout: cancelled when it expires (and, Go's
    // `defer cancel()`, when its last reference goes).
    auto ctx = goro::with_timeout(goro::background(), 370ms);

    goro::waitgroup wg;
    for (int id = 1; id <= 3; id++)
        wg.go([ctx, id] {
            goro::sleep((id - 1) * 20ms);   // stagger the output
            do_work(ctx, id);
        });
    wg.wait();
}
