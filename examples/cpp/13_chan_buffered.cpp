/* SPDX-License-Identifier: MIT */
// 13_chan_buffered.cpp: the C++ twin of 13_chan_buffered.c: three sends
// fit the buffer of 3, a fourth would block (try_send says so); then
// 1 2 3 and "0 3" (len, cap).
#include <goro.hpp>

#include <cstdio>

int main()
{
    goro::chan<int> ch(3);   // ch := make(chan int, 3)
    ch.send(1);
    ch.send(2);
    ch.send(3);
    if (ch.try_send(4))      // ch <- 4 would block: the buffer is full
        return 1;

    std::printf("%d\n", *ch.recv());
    std::printf("%d\n", *ch.recv());
    std::printf("%d\n", *ch.recv());
    std::printf("%zu %zu\n", ch.len(), ch.cap());   // 0 3
}
