/* SPDX-License-Identifier: MIT */
// 21_worker_pool.cpp: the C++ twin of 21_worker_pool.c: five workers range
// over jobs and send job*job on results; a goroutine closes results once
// they are done; main sends 1..20 and prints "total: 2870".
#include <goro.hpp>

#include <cstdio>
#include <memory>

static void worker_pool(int num_workers, goro::recv_chan<int> jobs, goro::send_chan<int> results)
{
    auto wg = std::make_shared<goro::waitgroup>();   // shared with the closer
    for (int i = 0; i < num_workers; i++)
        wg->go([jobs, results] {
            for (int job : jobs)          // for job := range jobs
                results.send(job * job);  // process job
        });
    goro::go([wg, results] {
        wg->wait();
        results.close();
    });
}

int main()
{
    goro::chan<int> jobs(100), results(100);
    worker_pool(5, jobs, results);   // 5 concurrent workers

    for (int i = 1; i <= 20; i++)    // send 20 jobs
        jobs.send(i);
    jobs.close();

    int total = 0;
    for (int r : results)            // collect results
        total += r;
    std::printf("total: %d\n", total);
}
