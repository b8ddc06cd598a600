// hello.cpp: the C++ program `make install-test` builds against an
// installed goro with find_package(goro) (goro::goro carries goro.hpp):
// eight goroutines send into a channel; main sums what it receives.
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
