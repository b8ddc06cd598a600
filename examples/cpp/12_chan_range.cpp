/* SPDX-License-Identifier: MIT */
// 12_chan_range.cpp: the C++ twin of 12_chan_range.c: generate(nums...)
// returns a receive-only channel fed by a goroutine that closes it; main
// ranges over it (2 3 5 7 11) until the close.
#include <goro.hpp>

#include <cstdio>
#include <vector>

// func generate(nums ...int) <-chan int
static goro::recv_chan<int> generate(std::vector<int> nums)
{
    goro::chan<int> ch(0);
    goro::go([nums = std::move(nums)](goro::send_chan<int> out) {
        for (int n : nums)
            out.send(n);
        out.close();   // no more values
    }, ch);
    return ch;
}

int main()
{
    for (int n : generate({2, 3, 5, 7, 11}))   // for n := range generate(...)
        std::printf("%d\n", n);
}
