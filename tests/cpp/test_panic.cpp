/* SPDX-License-Identifier: MIT */
// ctest-labels: diag
/*
 * test_panic.cpp: an exception that escapes a goroutine ends the program
 * as an unrecovered Go panic does: "panic: " and what() with the
 * exception's type, the goroutine's id, name and creation site, then the
 * dump (which shows the goroutine again), then abort. The test re-executes
 * itself; the child panics.
 */
#include <stdexcept>
#include <string>

#include "testutil.hpp"
#include "../misuse.h"

namespace {

[[noreturn]] void panicky(std::string what)
{
    throw std::runtime_error(what);
}

// Starts the goroutine that panics if run; returns the line of its go.
int panic_child(bool run)
{
    goro::options opts{};
    opts.name = "thrower";
    int line = __LINE__; if (run) goro::go(opts, [] { panicky("boom in a goroutine"); });
    return line;
}

}  // namespace

int main(int argc, char **)
{
    if (argc > 1) {
        goro::waitgroup wg;
        wg.add(1);
        panic_child(true);
        wg.wait();   // never returns: the panic ends the program
        return 0;
    }
    char out[16384];
    int status = misuse_run("panic", out, sizeof out);
    char site[128];
    snprintf(site, sizeof site, "created by %s:%d", __FILE__, panic_child(false));
    const char *first = strstr(out, site);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT ||
        !strstr(out, "panic: boom in a goroutine [std::runtime_error]\n\ngoroutine ") ||
        !strstr(out, "[running]:\n\tname: thrower\n") || !first ||
        !strstr(first + 1, site)) {   // the header, then the dump's entry
        fprintf(stderr, "panic child: status %#x, stderr:\n%s\n", status, out);
        return 1;
    }
    TEST_PASS("test_panic (C++)");
}
