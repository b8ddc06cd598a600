/* SPDX-License-Identifier: MIT */
// 10_chan_hello.cpp: the C++ twin of 10_chan_hello.c: a goroutine sends a
// string on an unbuffered channel; main receives and prints it.
#include <goro.hpp>

#include <cstdio>
#include <string>

int main()
{
    goro::chan<std::string> ch(0);   // ch := make(chan string)
    goro::go([ch] { ch.send("hello from goroutine"); });
    std::string msg = *ch.recv();   // msg := <-ch
    std::printf("%s\n", msg.c_str());
}
