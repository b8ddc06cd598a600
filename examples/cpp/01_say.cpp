/* SPDX-License-Identifier: MIT */
// 01_say.cpp: the C++ twin of 01_say.c (Go: go say("world"); say("hello")).
// The two lines of each round may come in either order, and "background 2"
// may be missing: main returning ends the program, as in Go.
#include <goro.hpp>

#include <cstdio>

using namespace std::chrono_literals;

static void say(const char *msg)
{
    for (int i = 0; i < 3; i++) {
        std::printf("%s %d\n", msg, i);
        std::fflush(stdout);
        goro::sleep(100ms);
    }
}

int main()
{
    goro::go(say, "background");   // go say("background")
    say("foreground");
}
