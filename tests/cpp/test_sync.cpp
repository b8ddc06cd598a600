/* SPDX-License-Identifier: MIT */
// ctest-labels: sync
/*
 * test_sync.cpp: goro.hpp's sync types with the standard lock guards:
 * mutex (lock_guard, unique_lock, scoped_lock of two, try_lock_for),
 * rwmutex (shared_lock), cond (wait with a predicate, wait_until), once
 * (an exception leaves it done and reaches the caller), waitgroup
 * (wait_until), semaphore (acquire with a context, try_acquire); an
 * unlock of an unlocked mutex aborts naming the caller's line.
 */
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

#include "testutil.hpp"
#include "../misuse.h"

using namespace std::chrono_literals;

namespace {

void mutexes()
{
    goro::mutex a, b;
    long counter = 0;
    goro::waitgroup wg;
    const int n = static_cast<int>(scaled(2000, 10));
    for (int g = 0; g < 4; g++)
        wg.go([&] {
            for (int i = 0; i < n; i++) {
                if (i % 3 == 0) {
                    std::lock_guard<goro::mutex> lk(a);
                    counter++;
                } else if (i % 3 == 1) {
                    std::unique_lock<goro::mutex> lk(a);
                    counter++;
                    lk.unlock();
                    goro::yield();
                } else {
                    std::scoped_lock lk(b, a);   // std::lock: try_lock inside
                    counter++;
                }
            }
        });
    wg.wait();
    CHECK_EQ(counter, 4L * n);

    std::unique_lock<goro::mutex> held(a);
    goro::chan<bool> got(1);
    goro::go([&a, got] { got.send(a.try_lock_for(10ms)); });
    CHECK(!*got.recv());
    CHECK(!a.try_lock());
    held.unlock();
    CHECK(a.try_lock());
    a.unlock();
}

void rwmutexes()
{
    goro::rwmutex rw;
    int value = 0;
    goro::waitgroup wg;
    std::atomic<int> readers{0}, max_readers{0};
    for (int g = 0; g < 4; g++)
        wg.go([&] {
            for (int i = 0; i < 50; i++) {
                std::shared_lock<goro::rwmutex> lk(rw);
                int r = ++readers;
                int m = max_readers.load();
                while (r > m && !max_readers.compare_exchange_weak(m, r))
                    ;
                CHECK(value % 2 == 0);
                goro::yield();
                readers--;
            }
        });
    wg.go([&] {
        for (int i = 0; i < 50; i++) {
            std::lock_guard<goro::rwmutex> lk(rw);
            value++;   // odd only while held
            goro::yield();
            value++;
        }
    });
    wg.wait();
    CHECK_EQ(value, 100);
    CHECK(rw.try_lock_shared());
    CHECK(rw.try_lock_shared_for(1ms));
    CHECK(!rw.try_lock_for(1ms));
    rw.unlock_shared();
    rw.unlock_shared();
}

void conds()
{
    goro::mutex mu;
    goro::cond cv;
    int stage = 0;
    goro::waitgroup wg;
    for (int g = 0; g < 3; g++)
        wg.go([&] {
            std::unique_lock<goro::mutex> lk(mu);
            cv.wait(lk, [&] { return stage == 1; });
            stage = 1;
        });
    goro::sleep(5ms);
    {
        std::lock_guard<goro::mutex> lk(mu);
        stage = 1;
    }
    cv.broadcast();
    wg.wait();

    std::unique_lock<goro::mutex> lk(mu);
    int64_t t0 = goro_now();
    CHECK(!cv.wait_until(lk, goro::now() + 10ms));   // nobody signals
    CHECK(goro_now() - t0 >= 10 * GORO_MILLISECOND);
    CHECK(lk.owns_lock());
}

void onces()
{
    goro::once once;
    int runs = 0;
    goro::waitgroup wg;
    for (int g = 0; g < 8; g++)
        wg.go([&] { once.call([&] { runs++; goro::sleep(1ms); }); });
    wg.wait();
    CHECK_EQ(runs, 1);

    goro::once failing;
    bool caught = false;
    try {
        failing.call([] { throw std::runtime_error("first"); });
    } catch (const std::runtime_error &e) {
        caught = strcmp(e.what(), "first") == 0;
    }
    CHECK(caught);
    failing.call([&] { runs++; });   // done already: not run
    CHECK_EQ(runs, 1);
}

void waitgroups()
{
    goro::waitgroup wg;
    wg.add(1);
    CHECK(!wg.wait_until(goro::now() + 5ms));
    goro::go([&wg] { wg.done(); });
    CHECK(wg.wait_until(goro::now() + 10s));
}

void semaphores()
{
    goro::semaphore sem(3);
    CHECK(sem.try_acquire(2));
    CHECK(!sem.try_acquire(2));
    auto ctx = goro::with_timeout(goro::background(), 10ms);
    CHECK(sem.acquire(ctx, 2) == goro::errc::timed_out);
    sem.release(2);
    CHECK(!sem.acquire(goro::background(), 3));
    sem.release(3);
    sem.acquire();
    sem.release();
}

int unlock_line(bool run)
{
    static goro::mutex mu;
    int line = __LINE__; if (run) mu.unlock();
    return line;
}

}  // namespace

int main(int argc, char **)
{
    if (argc > 1) {
        unlock_line(true);
        return 0;
    }
    mutexes();
    rwmutexes();
    conds();
    onces();
    waitgroups();
    semaphores();
    expect_fatal("unlock", "sync: unlock of unlocked mutex", __FILE__, unlock_line(false));
    TEST_PASS("test_sync (C++)");
}
