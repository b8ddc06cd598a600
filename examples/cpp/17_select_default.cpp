/* SPDX-License-Identifier: MIT */
// 17_select_default.cpp: the C++ twin of 17_select_default.c: a receive
// that must not block (select with default): "0 false", "42 true",
// "0 false".
#include <goro.hpp>

#include <cstdio>
#include <utility>

static std::pair<int, bool> try_receive(const goro::recv_chan<int> &ch)
{
    std::pair<int, bool> r{0, false};
    goro::select(goro::recv(ch, [&](int v) { r = {v, true}; }),   // case v := <-ch
                 goro::default_([] {}));                            // default: don't block
    return r;
}

static void show(const goro::recv_chan<int> &ch)
{
    auto [v, ok] = try_receive(ch);
    std::printf("%d %s\n", v, ok ? "true" : "false");
}

int main()
{
    goro::chan<int> ch(1);
    show(ch);   // 0 false: nothing to receive
    ch.send(42);
    show(ch);   // 42 true
    show(ch);   // 0 false: drained again
}
