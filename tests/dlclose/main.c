/* SPDX-License-Identifier: MIT */
/*
 * test_dlclose: a program that does not link goro dlopens a plug-in that
 * does (libgoro.so), runs goroutines in it, dlcloses it and runs on while
 * goro's threads keep working (the plug-in left a ticker running); then it
 * loads the plug-in again and runs it once more. libgoro.so is linked with
 * -z nodelete, so it stays loaded (as Go's c-shared libraries do): were it
 * unmapped, its threads would crash executing unmapped code. Skipped
 * (77) under Valgrind.
 */
// ctest-labels: sched
#include <dlfcn.h>
#include <unistd.h>
#include "../testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#if ASAN
/* LeakSanitizer's __tls_get_addr interception (up to LLVM 16 and GCC 13)
 * can mistake the thread-local block of a library loaded with dlopen (here
 * libgoro.so's) for an old glibc's and crash at exit. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "intercept_tls_get_addr=0";
}
#endif

static void run_plugin(void)
{
    void *h = dlopen(GORO_TEST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        exit(1);
    }
    long (*run)(int) = (long (*)(int))dlsym(h, "plugin_run");
    CHECK(run);
    CHECK_EQ(run(100), 100 * 101 / 2);
    CHECK(dlclose(h) == 0);
    void *lib = dlopen(GORO_TEST_SONAME, RTLD_NOW | RTLD_NOLOAD);
    CHECK(lib != NULL);   /* still loaded: -z nodelete */
    dlclose(lib);
    usleep(200 * 1000);   /* goro's threads run on */
}

int main(void)
{
    if (under_valgrind()) {
        /* The process then takes a minute or more to exit (the threads
         * libgoro.so started; not understood), near the test timeout. */
        printf("test_dlclose: skipped under Valgrind\n");
        return 77;
    }
    run_plugin();
    run_plugin();
    TEST_PASS("test_dlclose");
}
