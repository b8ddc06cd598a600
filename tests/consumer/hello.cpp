/* SPDX-License-Identifier: MIT */
// hello.cpp: the C++ program tests/consumer/run.sh builds against goro with
// CMake when a C++ compiler exists (goro::goro carries goro.hpp with
// goro.h): eight goroutines send into a channel; main sums what it
// receives.
#include <goro.hpp>

#include <cstdio>

int main()
{
    goro::chan<int> ch(0);
    goro::waitgroup wg;
    for (int i = 1; i <= 8; i++)
        wg.go([ch, i] { ch.send(i); });
    goro::go([&wg, ch] {
        wg.wait();
        ch.close();
    });
    int sum = 0;
    for (int v : ch)
        sum += v;
    if (sum != 36) {
        std::fprintf(stderr, "hello_cpp: sum %d, want 36\n", sum);
        return 1;
    }
    std::printf("hello_cpp: ok\n");
}
