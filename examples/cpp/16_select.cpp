/* SPDX-License-Identifier: MIT */
// 16_select.cpp: the C++ twin of 16_select.c: two goroutines send after
// 200 ms and 100 ms; two selects print "from ch2: two", "from ch1: one".
#include <goro.hpp>

#include <cstdio>
#include <string>

using namespace std::chrono_literals;

int main()
{
    goro::chan<std::string> ch1(0), ch2(0);
    goro::go([ch1] { goro::sleep(200ms); ch1.send("one"); });
    goro::go([ch2] { goro::sleep(100ms); ch2.send("two"); });

    for (int i = 0; i < 2; i++)
        goro::select(
            goro::recv(ch1, [](std::string msg) { std::printf("from ch1: %s\n", msg.c_str()); }),
            goro::recv(ch2, [](std::string msg) { std::printf("from ch2: %s\n", msg.c_str()); }));
}
