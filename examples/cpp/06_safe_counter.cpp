/* SPDX-License-Identifier: MIT */
// 06_safe_counter.cpp: the C++ twin of 06_safe_counter.c: 1000 goroutines
// increment a counter guarded by a goro::mutex; prints 1000.
#include <goro.hpp>

#include <cstdio>
#include <mutex>

class safe_counter {
public:
    void inc()
    {
        std::lock_guard<goro::mutex> lk(mu_);   // mu.Lock(); defer mu.Unlock()
        value_++;
    }
    int get()
    {
        std::lock_guard<goro::mutex> lk(mu_);
        return value_;
    }

private:
    goro::mutex mu_;
    int value_ = 0;
};

int main()
{
    safe_counter counter;
    goro::waitgroup wg;
    for (int i = 0; i < 1000; i++)
        wg.go([&counter] { counter.inc(); });
    wg.wait();
    std::printf("%d\n", counter.get());   // always 1000
}
