/* SPDX-License-Identifier: MIT */
// 05_waitgroup.cpp: the C++ twin of 05_waitgroup.c: five items processed
// concurrently, wg.Go style; main waits for all of them.
#include <goro.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace std::chrono_literals;

int main()
{
    goro::waitgroup wg;
    goro::mutex mu;
    std::vector<int> processed;
    for (int id : {1, 2, 3, 4, 5})
        wg.go([id, &mu, &processed] {   // wg.Go(func() { ... })
            goro::sleep(50ms);
            std::lock_guard<goro::mutex> lk(mu);
            processed.push_back(id);
        });
    wg.wait();

    std::sort(processed.begin(), processed.end());
    for (int id : processed)
        std::printf("item %d processed\n", id);
    std::printf("all items processed\n");
}
