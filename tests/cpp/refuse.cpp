/* SPDX-License-Identifier: MIT */
/*
 * refuse.cpp: what goro.hpp must refuse at compile time. CTest compiles it
 * once per `#if REFUSE == n` block below (cpp_refuse.n) and expects the
 * compiler's error to match the block's `expect:` pattern; cpp_refuse.0
 * compiles it with no block, which must succeed (so the failures come
 * from the blocks).
 */
#include <goro.hpp>

#include <optional>

void refuse(goro::chan<int> ch);
void refuse(goro::chan<int> ch)
{
    goro::send_chan<int> tx = ch;
    goro::recv_chan<int> rx = ch;
    (void)tx;
    (void)rx;
#if REFUSE == 1 // expect: recv
    (void)tx.recv();                                  // <-ch on a chan<- int
#endif
#if REFUSE == 2 // expect: send
    rx.send(1);                                       // ch <- 1 on a <-chan int
#endif
#if REFUSE == 3 // expect: close
    rx.close();                                       // close of a <-chan int
#endif
#if REFUSE == 4 // expect: not a channel that can receive
    goro::select(goro::recv(tx, [](int) {}));         // select receive on chan<- int
#endif
#if REFUSE == 5 // expect: not a channel that can send
    goro::select(goro::send(rx, 1));                  // select send on <-chan int
#endif
#if REFUSE == 6 // expect: at most one default_
    goro::select(goro::recv(ch), goro::default_([] {}), goro::default_([] {}));
#endif
#if REFUSE == 7 // expect: recv_chan
    goro::recv_chan<long> wrong = ch;                 // element types must match
    (void)wrong;
#endif
#if REFUSE == 8 // expect: take std::optional<T> instead
    struct no_default { explicit no_default(int) {} };
    goro::chan<no_default> nd(1);
    goro::select(goro::recv(nd, [](no_default) {}));  // no zero value for a closed channel
#endif
}
