/* SPDX-License-Identifier: MIT */
/*
 * testutil.hpp: tests/testutil.h for the C++ tests (its zero-initialised
 * goro_waitgroup is `{0}`, which C++ warns about), and what several of
 * them share: expect_error and a type that counts its live objects.
 */
#ifndef GORO_TESTUTIL_HPP
#define GORO_TESTUTIL_HPP

#include <goro.hpp>

#include <atomic>
#include <string>
#include <system_error>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "../testutil.h"
#pragma GCC diagnostic pop

// f() must throw std::system_error with code `want`.
template <class F> void expect_error(goro::errc want, F &&f)
{
    try {
        f();
    } catch (const std::system_error &e) {
        if (e.code() != want) {
            fprintf(stderr, "expected %s, got %s\n", goro::make_error_code(want).message().c_str(),
                    e.code().message().c_str());
            exit(1);
        }
        return;
    }
    fprintf(stderr, "expected %s, got no exception\n", goro::make_error_code(want).message().c_str());
    exit(1);
}

// A non-trivial value that counts how many of its objects are alive.
struct counted {
    static inline std::atomic<long> live{0};
    std::string s;
    explicit counted(std::string v = "") : s(std::move(v)) { live++; }
    counted(const counted &o) : s(o.s) { live++; }
    counted(counted &&o) noexcept : s(std::move(o.s)) { live++; }
    counted &operator=(const counted &) = default;
    counted &operator=(counted &&) = default;
    ~counted() { live--; }
};

#endif
