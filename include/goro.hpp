/* SPDX-License-Identifier: MIT */
/*
 * goro.hpp: the C++17 layer over goro.h. Header-only; link with the same
 * library (goro::goro in CMake, `pkg-config goro`). docs/cpp.md is the
 * reference, with the C, C++ and Go forms side by side.
 *
 * Invariants of this file:
 *  - No exception ever unwinds through a frame of the C library. Every
 *    function handed to goro.h as a callback (goroutine bodies, once and
 *    errgroup tasks) is noexcept and catches everything: an exception
 *    leaving a goroutine is a panic (detail::panic: message, dump,
 *    abort), one leaving a once or errgroup task is carried across the C
 *    call and rethrown in the caller's frame.
 *  - Errors: a call that Go makes panic (send on or close of a closed
 *    channel), a failure to allocate, or a nil object throws
 *    std::system_error whose code() is in goro::category(). Outcomes that
 *    are part of a call's contract (a deadline passed, a try call that
 *    would block, a channel closed and drained) are return values.
 *  - The call site a C call records (goroutine creation, unlock, add) is the
 *    user's: a defaulted goro::source_location parameter.
 *  - chan<T> carries T as its bytes when T is trivially copyable (exactly
 *    the C channel; an empty T is a zero-size element like Go's struct{});
 *    any other T travels as a pointer to a heap box that the receiver
 *    moves from and deletes. Boxed channels count their handles themselves
 *    (detail::chan_ref::refs_) so that the last one deletes the boxes still
 *    buffered; plain channels use goro_chan_retain/release.
 *  - select builds its goro_case array on the stack: no heap allocation
 *    for up to 8 channel cases (goro_select's own limit).
 */
#ifndef GORO_HPP
#define GORO_HPP

#include "goro.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>
#if defined(__has_include)
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define GORO_HPP_HAVE_CXXABI 1
#endif
#endif

namespace goro {

// ---- Call sites ----------------------------------------------------------
// A defaulted `source_location loc = source_location::current()` parameter
// records the caller's file:line (g++ and clang++ builtins, C++17 and 20).
struct source_location {
    const char *file_;
    int line_;
    static constexpr source_location current(const char *file = __builtin_FILE(),
                                             int line = __builtin_LINE()) noexcept
    {
        return {file, line};
    }
    constexpr const char *file_name() const noexcept { return file_; }
    constexpr int line() const noexcept { return line_; }
};

// ---- Errors ---------------------------------------------------------------
enum class errc : int {
    again = GORO_EAGAIN,
    no_memory = GORO_ENOMEM,
    invalid_argument = GORO_EINVAL,
    timed_out = GORO_ETIMEDOUT,
    canceled = GORO_ECANCELED,
    closed = GORO_ECLOSED,
    no_host = GORO_ENOHOST,
};

namespace detail {
class category_impl final : public std::error_category {
public:
    const char *name() const noexcept override { return "goro"; }
    std::string message(int code) const override { return goro_strerror(code); }
    // A code with a POSIX twin (-errno) compares equal to std::errc.
    std::error_condition default_error_condition(int code) const noexcept override
    {
        if (code < 0 && code > -1000)
            return {-code, std::generic_category()};
        return {code, *this};
    }
};
}  // namespace detail

// The category of goro's codes: GORO_E* and -errno, as goro.h returns them.
inline const std::error_category &category() noexcept
{
    static const detail::category_impl c;
    return c;
}

inline std::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), category()};
}

// A goro.h result as an error_code: 0 is success.
inline std::error_code to_error_code(int code) noexcept
{
    return code ? std::error_code(code, category()) : std::error_code();
}

namespace detail {
[[noreturn]] inline void raise(int code, const char *what)
{
    throw std::system_error(to_error_code(code), what);
}

inline void check(int code, const char *what)
{
    if (code != 0)
        raise(code, what);
}

template <class P> P *check_ptr(P *p, const char *what)
{
    if (!p)
        raise(GORO_ENOMEM, what);
    return p;
}

// An error_code as goro.h's int (a cause, a task's result): goro codes as
// they are, std::errc and errno codes as -errno, others as `other`.
inline int to_int(std::error_code ec, int other) noexcept
{
    if (!ec)
        return 0;
    if (ec.category() == category())
        return ec.value();
    if (ec.category() == std::generic_category() || ec.category() == std::system_category())
        return -ec.value();
    return other;
}

// A `miss` no goro.h call returns: the blocking twins have none.
constexpr int no_miss = 1;
}  // namespace detail
}  // namespace goro

namespace std {
template <> struct is_error_code_enum<goro::errc> : true_type {};
}  // namespace std

namespace goro {

// ---- Time -----------------------------------------------------------------
// goro_now() is CLOCK_MONOTONIC, which is steady_clock's clock on Linux.
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
static_assert(std::is_same<clock::duration, std::chrono::nanoseconds>::value &&
                  sizeof(time_point) == sizeof(int64_t),
              "goro.hpp: steady_clock must count int64_t nanoseconds");

namespace detail {
// Nanoseconds, saturated to [INT64_MIN, GORO_FOREVER].
template <class Rep, class Period>
int64_t to_ns(std::chrono::duration<Rep, Period> d) noexcept
{
    using wide = std::chrono::duration<long double, std::nano>;
    long double ns = std::chrono::duration_cast<wide>(d).count();
    if (ns >= static_cast<long double>(GORO_FOREVER))
        return GORO_FOREVER;
    if (ns <= static_cast<long double>(INT64_MIN))
        return INT64_MIN;
    return static_cast<int64_t>(ns);
}

inline int64_t after_ns(int64_t d) noexcept
{
    int64_t now = goro_now();
    return d >= GORO_FOREVER - now ? GORO_FOREVER : now + d;
}

// A goro deadline (goro_now()'s clock) for a time point on any clock.
template <class Clock, class Dur>
int64_t deadline_ns(const std::chrono::time_point<Clock, Dur> &tp) noexcept
{
    if constexpr (std::is_same<Clock, clock>::value)
        return to_ns(tp.time_since_epoch());
    else
        return after_ns(to_ns(tp - Clock::now()));
}

inline time_point from_ns(int64_t ns) noexcept
{
    return time_point(std::chrono::nanoseconds(ns));
}
}  // namespace detail

template <class Rep, class Period> void sleep(std::chrono::duration<Rep, Period> d)
{
    goro_sleep(detail::to_ns(d));
}

inline time_point now() noexcept { return detail::from_ns(goro_now()); }

// ---- Runtime ----------------------------------------------------------------
inline void yield() { goro_yield(); }
inline int maxprocs(int n = 0) { return goro_maxprocs(n); }
inline int num_goroutine() { return goro_num_goroutine(); }
inline int num_cpu() { return goro_num_cpu(); }

// ---- Panics -----------------------------------------------------------------
namespace detail {
// The name of the exception being handled, demangled where possible.
inline std::string current_exception_type()
{
#if GORO_HPP_HAVE_CXXABI
    const std::type_info *t = abi::__cxa_current_exception_type();
    if (!t)
        return "unknown";
    int status = 0;
    char *s = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
    std::string name = status == 0 && s ? s : t->name();
    std::free(s);
    return name;
#else
    return "unknown";
#endif
}

// Called in a catch handler on a goroutine: the exception escaped it.
// Writes what Go writes for an unrecovered panic (the value, then the
// goroutine, as goro_dump shows it), then goro_dump, then aborts.
[[noreturn]] inline void panic() noexcept
{
    std::string what = "(not a std::exception)";
    try {
        throw;
    } catch (const std::exception &e) {
        what = e.what();
    } catch (...) {
    }
    std::string type = current_exception_type();
    uint64_t id = goro_id();
    int total = goro_goroutines(nullptr, 0);
    std::vector<goro_ginfo> all(static_cast<size_t>(total > 0 ? total : 0) + 64);
    int n = goro_goroutines(all.data(), static_cast<int>(all.size()));
    const goro_ginfo *self = nullptr;
    for (int i = 0; i < n && i < static_cast<int>(all.size()); i++)
        if (all[static_cast<size_t>(i)].id == id)
            self = &all[static_cast<size_t>(i)];
    std::fflush(stdout);
    std::fprintf(stderr, "panic: %s [%s]\n\ngoroutine %llu [running]:\n", what.c_str(),
                 type.c_str(), static_cast<unsigned long long>(id));
    if (self && self->name)
        std::fprintf(stderr, "\tname: %s\n", self->name);
    if (self && self->file)
        std::fprintf(stderr, "created by %s:%d\n", self->file, self->line);
    std::fprintf(stderr, "\n");
    goro_dump(stderr);
    std::fflush(stderr);
    std::abort();
}

// ---- Bound calls: f(args...) as one object ---------------------------------
// A tiny tuple that is trivially copyable when its members are (std::tuple
// is not), so that a goroutine's call fits goro_go_copy.
template <class... Ts> struct pack {
    template <class F, class... Done> decltype(auto) call(F &f, Done &...done)
    {
        return std::invoke(f, std::move(done)...);
    }
};
template <class T, class... Ts> struct pack<T, Ts...> {
    T head;
    pack<Ts...> tail;
    template <class U, class... Us>
    explicit pack(U &&u, Us &&...us) : head(std::forward<U>(u)), tail(std::forward<Us>(us)...)
    {
    }
    template <class F, class... Done> decltype(auto) call(F &f, Done &...done)
    {
        return tail.call(f, done..., head);
    }
};

template <class F, class... Args> struct bound {
    F f;
    pack<Args...> args;
    template <class G, class... As>
    explicit bound(G &&g, As &&...as) : f(std::forward<G>(g)), args(std::forward<As>(as)...)
    {
    }
    decltype(auto) operator()() { return args.call(f); }
};
template <class F> struct bound<F> {
    F f;
    template <class G> explicit bound(G &&g) : f(std::forward<G>(g)) {}
    decltype(auto) operator()() { return std::invoke(f); }
};

template <class F, class... Args>
using bound_t = bound<std::decay_t<F>, std::decay_t<Args>...>;

// A bound call passed byte for byte as goro_go's pointer argument, or
// copied byte for byte into the goroutine (goro_go_copy).
template <class B>
constexpr bool fits_word = std::is_trivially_copyable<B>::value && sizeof(B) <= sizeof(void *);
template <class B>
constexpr bool fits_inline = std::is_trivially_copyable<B>::value &&
                             sizeof(B) <= GORO_COPY_INLINE && alignof(B) <= 16;

template <class B> void run_guarded(B &b) noexcept
{
    try {
        b();
    } catch (...) {
        panic();
    }
}

template <class B> void run_word(void *p) noexcept
{
    alignas(B) unsigned char bytes[sizeof(B)];
    std::memcpy(bytes, &p, sizeof(B));
    run_guarded(*std::launder(reinterpret_cast<B *>(bytes)));
}

template <class B> void run_inline(void *p) noexcept
{
    run_guarded(*std::launder(static_cast<B *>(p)));
}

template <class B> void run_heap(void *p) noexcept
{
    std::unique_ptr<B> b(static_cast<B *>(p));
    run_guarded(*b);
}

// Starts B(f, args...) as a goroutine; opts may be NULL.
template <class B, class... A>
void spawn(const goro_opts *opts, source_location loc, A &&...a)
{
    if constexpr (fits_word<B>) {
        if (!opts) {
            B b(std::forward<A>(a)...);
            void *word = nullptr;
            std::memcpy(&word, &b, sizeof b);
            check(goro_go_at(run_word<B>, word, loc.file_name(), loc.line()), "goro::go");
            return;
        }
    } else if constexpr (fits_inline<B>) {
        if (!opts) {
            B b(std::forward<A>(a)...);
            check(goro_go_copy_at(run_inline<B>, &b, sizeof b, loc.file_name(), loc.line()),
                  "goro::go");
            return;
        }
    }
    auto b = std::make_unique<B>(std::forward<A>(a)...);
    int rc = opts ? goro_go_opts_at(opts, run_heap<B>, b.get(), loc.file_name(), loc.line())
                  : goro_go_at(run_heap<B>, b.get(), loc.file_name(), loc.line());
    check(rc, "goro::go");
    b.release();   // the goroutine owns it now
}

template <class F>
using not_options = std::enable_if_t<!std::is_same<std::decay_t<F>, goro_opts>::value, int>;
}  // namespace detail

// ---- Goroutines (the go statement) -----------------------------------------
// goro::go(f, args...) starts std::invoke(f, args...) in a new goroutine;
// f and the arguments are moved or copied into it first (move-only ones
// too). Throws std::system_error when it cannot start (out of memory).
// Up to four arguments; bind more in a lambda. goro::go(opts, f) names the
// goroutine or sizes its stack (goro_opts: name, stack_size).
using options = goro_opts;

template <class F, detail::not_options<F> = 0>
void go(F &&f, source_location loc = source_location::current())
{
    detail::spawn<detail::bound_t<F>>(nullptr, loc, std::forward<F>(f));
}
template <class F, class A1, detail::not_options<F> = 0>
void go(F &&f, A1 &&a1, source_location loc = source_location::current())
{
    detail::spawn<detail::bound_t<F, A1>>(nullptr, loc, std::forward<F>(f),
                                          std::forward<A1>(a1));
}
template <class F, class A1, class A2, detail::not_options<F> = 0>
void go(F &&f, A1 &&a1, A2 &&a2, source_location loc = source_location::current())
{
    detail::spawn<detail::bound_t<F, A1, A2>>(nullptr, loc, std::forward<F>(f),
                                              std::forward<A1>(a1), std::forward<A2>(a2));
}
template <class F, class A1, class A2, class A3, detail::not_options<F> = 0>
void go(F &&f, A1 &&a1, A2 &&a2, A3 &&a3, source_location loc = source_location::current())
{
    detail::spawn<detail::bound_t<F, A1, A2, A3>>(nullptr, loc, std::forward<F>(f),
                                                  std::forward<A1>(a1), std::forward<A2>(a2),
                                                  std::forward<A3>(a3));
}
template <class F, class A1, class A2, class A3, class A4, detail::not_options<F> = 0>
void go(F &&f, A1 &&a1, A2 &&a2, A3 &&a3, A4 &&a4,
        source_location loc = source_location::current())
{
    detail::spawn<detail::bound_t<F, A1, A2, A3, A4>>(
        nullptr, loc, std::forward<F>(f), std::forward<A1>(a1), std::forward<A2>(a2),
        std::forward<A3>(a3), std::forward<A4>(a4));
}
template <class F>
void go(const options &opts, F &&f, source_location loc = source_location::current())
{
    detail::spawn<detail::bound_t<F>>(&opts, loc, std::forward<F>(f));
}

// ---- Channels ---------------------------------------------------------------
template <class T> class chan;
template <class T> class send_chan;
template <class T> class recv_chan;

// The result of try_recv and recv_until: a std::optional<T> that also says
// why it is empty: error() is errc::closed (closed and drained),
// errc::again (try_recv: nothing ready) or errc::timed_out.
template <class T> class received : public std::optional<T> {
public:
    explicit received(T &&v) : std::optional<T>(std::move(v)) {}
    explicit received(std::error_code ec) noexcept : ec_(ec) {}
    std::error_code error() const noexcept { return ec_; }
    bool closed() const noexcept { return ec_ == errc::closed; }

private:
    std::error_code ec_;
};

// End of a range-for over a channel.
struct chan_end {};

namespace detail {
// How a T crosses a C channel (see the header comment).
template <class T, bool Plain = std::is_trivially_copyable<T>::value && sizeof(T) <= 65536>
struct wire {
    static constexpr bool boxed = false;
    using type = T;
    static constexpr size_t size = std::is_empty<T>::value ? 0 : sizeof(T);
};
template <class T> struct wire<T, false> {
    static constexpr bool boxed = true;
    using type = T *;
    static constexpr size_t size = sizeof(T *);
};

// Raw storage a C call fills with one wire value.
template <class W> union slot {
    char none_;
    W w;
    slot() noexcept : none_() {}
};

// The value a send hands to C: the T itself, or a box the receiver takes.
template <class T, bool Boxed = wire<T>::boxed> class outgoing {
public:
    template <class U> explicit outgoing(U &&v) : v_(std::forward<U>(v)) {}
    void *ptr() noexcept { return &v_; }
    void sent() noexcept {}
    T &value() noexcept { return v_; }

private:
    T v_;
};
template <class T> class outgoing<T, true> {
public:
    template <class U> explicit outgoing(U &&v) : box_(new T(std::forward<U>(v))) {}
    outgoing(const outgoing &) = delete;
    outgoing &operator=(const outgoing &) = delete;
    ~outgoing() { delete box_; }
    void *ptr() noexcept { return &box_; }
    void sent() noexcept { box_ = nullptr; }   // the receiver owns it now
    T &value() noexcept { return *box_; }

private:
    T *box_;
};

// A received wire value as a T (the caller knows one was received).
template <class T> T unwire(typename wire<T>::type &w)
{
    if constexpr (wire<T>::boxed) {
        std::unique_ptr<T> box(w);
        return std::move(*box);
    } else {
        return std::move(w);
    }
}

// One send of v on c by call(c, elem) (goro_chan_send or a twin):
// true if sent, false if call returned `miss` (EAGAIN, ETIMEDOUT), in
// which case an rvalue v is as it was. Anything else throws.
template <class T, class U, class Call>
bool send_on(goro_chan *c, U &&v, int miss, const char *what, Call call)
{
    if constexpr (!wire<T>::boxed && std::is_same<std::decay_t<U>, T>::value) {
        int rc = call(c, static_cast<const void *>(&v));   // no copy
        if (rc == miss)
            return false;
        check(rc, what);
    } else {
        outgoing<T> o(std::forward<U>(v));
        int rc = call(c, o.ptr());
        if (rc == miss) {
            if constexpr (!std::is_lvalue_reference<U>::value) {
                static_assert(std::is_move_assignable<T>::value,
                              "goro::chan: try_send and send_until give an rvalue back when "
                              "not sent, which needs a move-assignable T");
                v = std::move(o.value());
            }
            return false;
        }
        check(rc, what);
        o.sent();
    }
    return true;
}

// One receive from c by call(c, out) (goro_chan_try_recv or
// goro_chan_recv_until): the value, or why none came (GORO_ECLOSED or
// `miss`); anything else throws.
template <class T, class Call> received<T> recv_on(goro_chan *c, int miss, Call call)
{
    slot<typename wire<T>::type> s;
    int rc = call(c, &s.w);
    if (rc == 0)
        return received<T>(unwire<T>(s.w));
    if (rc != GORO_ECLOSED && rc != miss)
        raise(rc, "goro::chan: receive");
    return received<T>(to_error_code(rc));
}

// One reference to a C channel (nil when c_ is NULL). Copy = retain,
// destructor = release; for boxed T the handles count themselves in
// refs_, and the last deletes the boxes left in the buffer.
template <class T> class chan_ref {
public:
    chan_ref() noexcept = default;
    chan_ref(const chan_ref &o) noexcept : c_(o.c_), refs_(o.refs_) { retain(); }
    chan_ref(chan_ref &&o) noexcept
        : c_(std::exchange(o.c_, nullptr)), refs_(std::exchange(o.refs_, nullptr))
    {
    }
    chan_ref &operator=(chan_ref o) noexcept
    {
        std::swap(c_, o.c_);
        std::swap(refs_, o.refs_);
        return *this;
    }
    ~chan_ref() { release(); }

    // The C channel, for C code (NULL for a nil channel); C code may use
    // it only while a handle lives, and for a boxed T not at all.
    goro_chan *native_handle() const noexcept { return c_; }
    explicit operator bool() const noexcept { return c_ != nullptr; }
    size_t len() const noexcept { return c_ ? goro_chan_len(c_) : 0; }
    size_t cap() const noexcept { return c_ ? goro_chan_cap(c_) : 0; }
    friend bool operator==(const chan_ref &a, const chan_ref &b) noexcept { return a.c_ == b.c_; }
    friend bool operator!=(const chan_ref &a, const chan_ref &b) noexcept { return a.c_ != b.c_; }

protected:
    explicit chan_ref(size_t cap)
        : c_(check_ptr(goro_chan_make(wire<T>::size, cap), "goro::chan"))
    {
        if constexpr (wire<T>::boxed) {
            try {
                refs_ = new std::atomic<long>(1);
            } catch (...) {
                goro_chan_release(c_);
                throw;
            }
        }
    }
    // Takes over one C reference (to a channel goro.h made).
    explicit chan_ref(goro_chan *c) noexcept : c_(c)
    {
        static_assert(!wire<T>::boxed, "goro.hpp: only plain channels come from C");
    }

private:
    void retain() const noexcept
    {
        if (refs_)
            refs_->fetch_add(1, std::memory_order_relaxed);
        else if (c_)
            goro_chan_retain(c_);
    }
    void release() noexcept
    {
        if (refs_) {
            if (refs_->fetch_sub(1, std::memory_order_acq_rel) != 1)
                return;
            slot<T *> s;   // delete the values nobody can receive now
            while (goro_chan_try_recv(c_, &s.w) == 0)
                delete s.w;
            delete refs_;
        }
        if (c_)
            goro_chan_release(c_);
    }

    goro_chan *c_ = nullptr;
    // Boxed T only: handles alive. Copies add relaxed (the copier holds a
    // handle already); a drop subtracts acq_rel, pairing with every other
    // drop, so the last one's drain comes after every other handle's use.
    std::atomic<long> *refs_ = nullptr;
};

// The operations of a sending end; Derived is a chan_ref<T>.
template <class Derived, class T> class sender {
    goro_chan *c() const noexcept { return static_cast<const Derived &>(*this).native_handle(); }
    template <class U> bool send_(U &&v, int miss, const char *what, int64_t deadline) const
    {
        return send_on<T>(c(), std::forward<U>(v), miss, what,
                          [&](goro_chan *ch, const void *e) {
                              return miss == GORO_EAGAIN   ? goro_chan_try_send(ch, e)
                                     : miss == GORO_ETIMEDOUT ? goro_chan_send_until(ch, e, deadline)
                                                              : goro_chan_send(ch, e);
                          });
    }

public:
    // ch <- v: blocks until received or buffered. A closed channel throws
    // (errc::closed) as Go panics; so does a nil one (invalid_argument).
    void send(const T &v) const { send_(v, no_miss, "goro::chan::send", 0); }
    void send(T &&v) const { send_(std::move(v), no_miss, "goro::chan::send", 0); }
    // Sends only if that needs no wait: false if it would block (an
    // rvalue is then left as it was).
    bool try_send(const T &v) const { return send_(v, GORO_EAGAIN, "goro::chan::try_send", 0); }
    bool try_send(T &&v) const
    {
        return send_(std::move(v), GORO_EAGAIN, "goro::chan::try_send", 0);
    }
    // send, or false once the deadline (a std::chrono time point) passes.
    template <class Clock, class Dur>
    bool send_until(const T &v, const std::chrono::time_point<Clock, Dur> &deadline) const
    {
        return send_(v, GORO_ETIMEDOUT, "goro::chan::send_until", deadline_ns(deadline));
    }
    template <class Clock, class Dur>
    bool send_until(T &&v, const std::chrono::time_point<Clock, Dur> &deadline) const
    {
        return send_(std::move(v), GORO_ETIMEDOUT, "goro::chan::send_until",
                     deadline_ns(deadline));
    }
    // close(ch). A second close throws (errc::closed), as Go panics.
    void close() const { check(goro_chan_close(c()), "goro::chan::close"); }
};

// The operations of a receiving end.
template <class Derived, class T> class receiver {
    goro_chan *c() const noexcept { return static_cast<const Derived &>(*this).native_handle(); }

public:
    // v, ok := <-ch: the next value, or nothing once closed and drained.
    std::optional<T> recv() const
    {
        slot<typename wire<T>::type> s;
        int rc = goro_chan_recv(c(), &s.w);
        if (rc == 0)
            return unwire<T>(s.w);
        if (rc != GORO_ECLOSED)
            raise(rc, "goro::chan::recv");
        return std::nullopt;
    }
    // The next value if one is ready now.
    received<T> try_recv() const
    {
        return recv_on<T>(c(), GORO_EAGAIN, [](goro_chan *ch, void *out) {
            return goro_chan_try_recv(ch, out);
        });
    }
    // recv, or nothing (timed_out) once the deadline passes.
    template <class Clock, class Dur>
    received<T> recv_until(const std::chrono::time_point<Clock, Dur> &deadline) const
    {
        int64_t d = deadline_ns(deadline);
        return recv_on<T>(c(), GORO_ETIMEDOUT, [d](goro_chan *ch, void *out) {
            return goro_chan_recv_until(ch, out, d);
        });
    }

    // for v := range ch. *it is the received value, an lvalue: a move-only
    // T is taken with `for (auto &v : ch)` and std::move(v).
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = T *;
        using reference = T &;
        explicit iterator(const receiver *r) : r_(r), v_(r->recv()) {}
        T &operator*() noexcept { return *v_; }
        T *operator->() noexcept { return &*v_; }
        iterator &operator++()
        {
            v_ = r_->recv();
            return *this;
        }
        friend bool operator==(const iterator &i, chan_end) noexcept { return !i.v_; }
        friend bool operator!=(const iterator &i, chan_end) noexcept { return bool(i.v_); }
        friend bool operator==(chan_end, const iterator &i) noexcept { return !i.v_; }
        friend bool operator!=(chan_end, const iterator &i) noexcept { return bool(i.v_); }

    private:
        const receiver *r_;
        std::optional<T> v_;
    };
    iterator begin() const { return iterator(this); }
    chan_end end() const noexcept { return {}; }
};
}  // namespace detail

// chan T: a shared reference to a channel of T (copy = another reference;
// the last one frees it). chan<T>() is Go's nil channel; chan<T>(cap)
// makes one (cap 0: unbuffered).
template <class T>
class chan : public detail::chan_ref<T>,
             public detail::sender<chan<T>, T>,
             public detail::receiver<chan<T>, T> {
    static_assert(std::is_move_constructible<T>::value, "goro::chan<T>: T must be movable");
    static_assert(!std::is_reference<T>::value && !std::is_const<T>::value,
                  "goro::chan<T>: T must be a plain object type");

public:
    chan() noexcept = default;
    explicit chan(size_t cap) : detail::chan_ref<T>(cap) {}
};

// chan<- T: the sending end only (from a chan<T>).
template <class T>
class send_chan : public detail::chan_ref<T>, public detail::sender<send_chan<T>, T> {
public:
    send_chan() noexcept = default;
    send_chan(const chan<T> &c) noexcept : detail::chan_ref<T>(c) {}
    send_chan(chan<T> &&c) noexcept : detail::chan_ref<T>(std::move(c)) {}
};

// <-chan T: the receiving end only (from a chan<T>, or from goro: timers,
// context done channels).
template <class T>
class recv_chan : public detail::chan_ref<T>, public detail::receiver<recv_chan<T>, T> {
public:
    recv_chan() noexcept = default;
    recv_chan(const chan<T> &c) noexcept : detail::chan_ref<T>(c) {}
    recv_chan(chan<T> &&c) noexcept : detail::chan_ref<T>(std::move(c)) {}
    // Takes over one reference to a C channel whose elements are T's bytes
    // (goro_after's result); borrow(c) takes a new one.
    static recv_chan adopt(goro_chan *c) noexcept { return recv_chan(c); }
    static recv_chan borrow(goro_chan *c) noexcept { return recv_chan(c ? goro_chan_retain(c) : c); }

private:
    explicit recv_chan(goro_chan *c) noexcept : detail::chan_ref<T>(c) {}
};

// ---- Select -----------------------------------------------------------------
namespace detail {
template <class C> struct chan_traits {
    static constexpr bool can_send = false, can_recv = false;
};
template <class T> struct chan_traits<chan<T>> {
    using elem = T;
    static constexpr bool can_send = true, can_recv = true;
};
template <class T> struct chan_traits<send_chan<T>> {
    using elem = T;
    static constexpr bool can_send = true, can_recv = false;
};
template <class T> struct chan_traits<recv_chan<T>> {
    using elem = T;
    static constexpr bool can_send = false, can_recv = true;
};

struct noop {
    void operator()() const noexcept {}
};

// case <-ch / case v := <-ch / case v, ok := <-ch
template <class T, class F> struct recv_case {
    static constexpr bool is_chan = true;
    goro_chan *c;
    F f;
    slot<typename wire<T>::type> s;
    goro_case as_case() noexcept { return GORO_CASE_RECV(c, &s.w); }
    void run(int result)
    {
        if constexpr (std::is_invocable<F &>::value) {
            if (result == 0)
                unwire<T>(s.w);   // dropped, as `case <-ch:` does
            std::invoke(f);
        } else if constexpr (std::is_invocable<F &, std::optional<T>>::value) {
            std::invoke(f, result == 0 ? std::optional<T>(unwire<T>(s.w)) : std::optional<T>());
        } else {
            static_assert(std::is_invocable<F &, T>::value,
                          "goro::recv: the handler takes T, std::optional<T> or nothing");
            static_assert(std::is_default_constructible<T>::value,
                          "goro::recv: a handler taking T gets T{} from a closed channel; "
                          "take std::optional<T> instead");
            std::invoke(f, result == 0 ? unwire<T>(s.w) : T{});
        }
    }
};

// case ch <- v
template <class T, class F> struct send_case {
    static constexpr bool is_chan = true;
    goro_chan *c;
    F f;
    outgoing<T> v;
    goro_case as_case() noexcept { return GORO_CASE_SEND(c, v.ptr()); }
    void run(int result)
    {
        if (result == GORO_ECLOSED)
            raise(result, "goro::select: send on closed channel");
        v.sent();
        std::invoke(f);
    }
};

// default: (deadline 0) or a timeout or deadline (goro_now()'s clock)
template <class F> struct fallback_case {
    static constexpr bool is_chan = false;
    int64_t deadline;
    F f;
    void run(int) { std::invoke(f); }
};

// Fills cases[] in argument order, skipping the fallback.
template <class C> void collect(goro_case *cases, int &n, int64_t &deadline, C &c) noexcept
{
    if constexpr (C::is_chan)
        cases[n++] = c.as_case();
    else
        deadline = c.deadline;
}
}  // namespace detail

// Cases for goro::select. The channel must outlive the select statement.
// The recv handler takes T (T{} once the channel is closed and drained,
// Go's zero value), std::optional<T> (empty then: Go's v, ok), or nothing.
template <class C, class F = detail::noop> auto recv(const C &ch, F &&f = F())
{
    using traits = detail::chan_traits<std::decay_t<C>>;
    static_assert(traits::can_recv, "goro::recv: not a channel that can receive");
    return detail::recv_case<typename traits::elem, std::decay_t<F>>{
        ch.native_handle(), std::forward<F>(f), {}};
}

template <class C, class V, class F = detail::noop> auto send(const C &ch, V &&v, F &&f = F())
{
    using traits = detail::chan_traits<std::decay_t<C>>;
    static_assert(traits::can_send, "goro::send: not a channel that can send");
    using T = typename traits::elem;
    return detail::send_case<T, std::decay_t<F>>{ch.native_handle(), std::forward<F>(f),
                                               detail::outgoing<T>(std::forward<V>(v))};
}

template <class F> auto default_(F &&f)
{
    return detail::fallback_case<std::decay_t<F>>{0, std::forward<F>(f)};
}

template <class Rep, class Period, class F>
auto timeout(std::chrono::duration<Rep, Period> d, F &&f)
{
    int64_t ns = detail::to_ns(d);
    return detail::fallback_case<std::decay_t<F>>{detail::after_ns(ns > 0 ? ns : 0),
                                                  std::forward<F>(f)};
}

template <class Clock, class Dur, class F>
auto deadline(const std::chrono::time_point<Clock, Dur> &tp, F &&f)
{
    int64_t d = detail::deadline_ns(tp);
    return detail::fallback_case<std::decay_t<F>>{d > 0 ? d : 1, std::forward<F>(f)};
}

// select { cases }: waits until a channel case can proceed (with a
// default_: only if one can now; with a timeout or deadline: until it
// passes), performs it, runs that case's handler and returns the case's
// position among the arguments. Ready cases are chosen at random; nil
// channels never are. A send on a closed channel throws, as Go panics.
template <class... Cs> int select(Cs &&...cs)
{
    constexpr bool is_chan[] = {false, std::decay_t<Cs>::is_chan...};   // [0]: padding
    constexpr int nchan = (0 + ... + (std::decay_t<Cs>::is_chan ? 1 : 0));
    static_assert(static_cast<int>(sizeof...(Cs)) - nchan <= 1,
                  "goro::select: at most one default_, timeout or deadline case");
    goro_case cases[nchan + 1];
    int n = 0;
    int64_t deadline = -1;   // no fallback case
    (detail::collect(cases, n, deadline, cs), ...);
    int rc = deadline < 0    ? goro_select(cases, nchan)
             : deadline == 0 ? goro_select_try(cases, nchan)
                             : goro_select_until(cases, nchan, deadline);
    int pick = 0, result = 0;   // pick: the argument position
    if (rc >= 0) {
        result = cases[rc].result;
        for (int seen = -1; seen < rc;)
            seen += is_chan[++pick];
    } else if (rc == GORO_EAGAIN || rc == GORO_ETIMEDOUT) {
        while (is_chan[++pick])
            ;
    } else {
        detail::raise(rc, "goro::select");
    }
    int k = 0;
    ((++k == pick ? cs.run(result) : void()), ...);
    return pick - 1;
}

// ---- sync -------------------------------------------------------------------
namespace detail {
// A base for objects that, like Go's sync types, must not be copied or
// moved once in use (goroutines hold their address).
class pinned {
public:
    constexpr pinned() noexcept = default;
    pinned(const pinned &) = delete;
    pinned &operator=(const pinned &) = delete;
};

// TimedLockable's try_lock_until and try_lock_for, from D::lock_until_
// (a goro.h _until call: 0 or GORO_ETIMEDOUT).
template <class D> class timed_lockable {
public:
    template <class Clock, class Dur>
    bool try_lock_until(const std::chrono::time_point<Clock, Dur> &tp) noexcept
    {
        return static_cast<D *>(this)->lock_until_(deadline_ns(tp)) == 0;
    }
    template <class Rep, class Period>
    bool try_lock_for(std::chrono::duration<Rep, Period> d) noexcept
    {
        return static_cast<D *>(this)->lock_until_(after_ns(to_ns(d))) == 0;
    }
};
}  // namespace detail

// Lockable and TimedLockable: std::lock_guard, std::unique_lock and
// std::scoped_lock work. Unlocking an unlocked mutex aborts naming the
// call site (for std guards, a line in the standard library's header).
class mutex : detail::pinned, public detail::timed_lockable<mutex> {
public:
    void lock() noexcept { goro_mutex_lock(&m_); }
    bool try_lock() noexcept { return goro_mutex_trylock(&m_) == 0; }
    void unlock(source_location loc = source_location::current()) noexcept
    {
        goro_mutex_unlock_at(&m_, loc.file_name(), loc.line());
    }
    goro_mutex *native_handle() noexcept { return &m_; }

private:
    friend class detail::timed_lockable<mutex>;
    int lock_until_(int64_t deadline) noexcept { return goro_mutex_lock_until(&m_, deadline); }
    goro_mutex m_ = GORO_MUTEX_INIT;
};

// Also SharedLockable (std::shared_lock) for the readers.
class rwmutex : detail::pinned, public detail::timed_lockable<rwmutex> {
public:
    void lock() noexcept { goro_rwmutex_lock(&rw_); }
    bool try_lock() noexcept { return goro_rwmutex_trylock(&rw_) == 0; }
    void unlock(source_location loc = source_location::current()) noexcept
    {
        goro_rwmutex_unlock_at(&rw_, loc.file_name(), loc.line());
    }
    void lock_shared() noexcept { goro_rwmutex_rlock(&rw_); }
    bool try_lock_shared() noexcept { return goro_rwmutex_tryrlock(&rw_) == 0; }
    template <class Clock, class Dur>
    bool try_lock_shared_until(const std::chrono::time_point<Clock, Dur> &tp) noexcept
    {
        return goro_rwmutex_rlock_until(&rw_, detail::deadline_ns(tp)) == 0;
    }
    template <class Rep, class Period>
    bool try_lock_shared_for(std::chrono::duration<Rep, Period> d) noexcept
    {
        return goro_rwmutex_rlock_until(&rw_, detail::after_ns(detail::to_ns(d))) == 0;
    }
    void unlock_shared(source_location loc = source_location::current()) noexcept
    {
        goro_rwmutex_runlock_at(&rw_, loc.file_name(), loc.line());
    }
    goro_rwmutex *native_handle() noexcept { return &rw_; }

private:
    friend class detail::timed_lockable<rwmutex>;
    int lock_until_(int64_t deadline) noexcept { return goro_rwmutex_lock_until(&rw_, deadline); }
    goro_rwmutex rw_ = GORO_RWMUTEX_INIT;
};

// sync.Cond: wait takes the goro::mutex (or a unique_lock holding it).
class cond : detail::pinned {
public:
    void wait(mutex &mu, source_location loc = source_location::current()) noexcept
    {
        goro_cond_wait_at(&c_, mu.native_handle(), loc.file_name(), loc.line());
    }
    void wait(std::unique_lock<mutex> &lk, source_location loc = source_location::current()) noexcept
    {
        wait(*lk.mutex(), loc);
    }
    template <class Pred>
    void wait(std::unique_lock<mutex> &lk, Pred pred,
              source_location loc = source_location::current())
    {
        while (!pred())
            wait(*lk.mutex(), loc);
    }
    // false when the deadline passed (the mutex is locked again either way)
    template <class Clock, class Dur>
    bool wait_until(std::unique_lock<mutex> &lk, const std::chrono::time_point<Clock, Dur> &tp,
                    source_location loc = source_location::current()) noexcept
    {
        return goro_cond_wait_until_at(&c_, lk.mutex()->native_handle(), detail::deadline_ns(tp),
                                       loc.file_name(), loc.line()) == 0;
    }
    void signal(source_location loc = source_location::current()) noexcept
    {
        goro_cond_signal_at(&c_, loc.file_name(), loc.line());
    }
    void broadcast(source_location loc = source_location::current()) noexcept
    {
        goro_cond_broadcast_at(&c_, loc.file_name(), loc.line());
    }

private:
    goro_cond c_ = GORO_COND_INIT;
};

// sync.Once: call(f) runs f exactly once; every caller returns after f
// has. An exception from f leaves the once done (Go's rule for a panic)
// and is rethrown to the caller that ran f.
class once : detail::pinned {
public:
    template <class F> void call(F &&f)
    {
        struct run {
            std::remove_reference_t<F> *f;
            std::exception_ptr err;
            static void body(void *p) noexcept
            {
                auto *r = static_cast<run *>(p);
                try {
                    std::invoke(*r->f);
                } catch (...) {
                    r->err = std::current_exception();
                }
            }
        } r{&f, nullptr};
        goro_once_do(&o_, run::body, &r);
        if (r.err)
            std::rethrow_exception(r.err);
    }

private:
    goro_once o_ = GORO_ONCE_INIT;
};

// sync.WaitGroup. go(f) is Go 1.25's wg.Go: add(1), then f in a goroutine
// that calls done when f has returned and been destroyed.
class waitgroup : detail::pinned {
public:
    void add(int64_t n, source_location loc = source_location::current()) noexcept
    {
        goro_waitgroup_add_at(&wg_, n, loc.file_name(), loc.line());
    }
    void done(source_location loc = source_location::current()) noexcept { add(-1, loc); }
    void wait() noexcept { goro_waitgroup_wait(&wg_); }
    // false when the deadline passed first
    template <class Clock, class Dur>
    bool wait_until(const std::chrono::time_point<Clock, Dur> &tp) noexcept
    {
        return goro_waitgroup_wait_until(&wg_, detail::deadline_ns(tp)) == 0;
    }
    template <class F> void go(F &&f, source_location loc = source_location::current())
    {
        struct body {
            waitgroup *wg;
            source_location loc;
            std::optional<std::decay_t<F>> f;
            void operator()()
            {
                std::invoke(*f);
                f.reset();   // what f holds goes before wait() returns
                wg->done(loc);
            }
        };
        add(1, loc);
        try {
            detail::spawn<detail::bound<body>>(nullptr, loc,
                                               body{this, loc, std::forward<F>(f)});
        } catch (...) {
            add(-1, loc);
            throw;
        }
    }
    goro_waitgroup *native_handle() noexcept { return &wg_; }

private:
    goro_waitgroup wg_ = GORO_WAITGROUP_INIT;
};

// ---- Context ----------------------------------------------------------------
// The key of a context value of type T: its address is the key.
template <class T> struct context_key {
    constexpr context_key() noexcept = default;
    context_key(const context_key &) = delete;
    context_key &operator=(const context_key &) = delete;
};

// A reference to a goro_ctx (copy = retain, destructor = release).
// context() is context.Background(). Releasing the last reference to a
// cancellable context cancels it.
class context {
public:
    context() noexcept : c_(goro_ctx_background()) {}
    context(const context &o) noexcept : c_(goro_ctx_retain(o.c_)) {}
    context(context &&o) noexcept : c_(std::exchange(o.c_, goro_ctx_background())) {}
    context &operator=(context o) noexcept
    {
        std::swap(c_, o.c_);
        return *this;
    }
    ~context() { goro_ctx_release(c_); }
    // Takes over one reference to a C context.
    static context adopt(goro_ctx *c)
    {
        context r;
        r.c_ = detail::check_ptr(c, "goro::context");
        return r;
    }

    // cancel(): Go's cancel() (cause: errc::canceled). A context that
    // cannot be cancelled (background, value) throws invalid_argument.
    void cancel() const { detail::check(goro_ctx_cancel(c_), "goro::context::cancel"); }
    // cancel(cause): a goro or errno code (another category is invalid).
    void cancel(std::error_code cause) const
    {
        detail::check(goro_ctx_cancel_cause(c_, detail::to_int(cause, GORO_EINVAL)),
                      "goro::context::cancel");
    }
    // Never ready while not cancelled; closed once cancelled (nil for a
    // context that can never end).
    recv_chan<std::monostate> done() const
    {
        return recv_chan<std::monostate>::borrow(goro_ctx_done(c_));
    }
    // {}, errc::canceled or errc::timed_out (deadline exceeded)
    std::error_code err() const noexcept { return to_error_code(goro_ctx_err(c_)); }
    std::error_code cause() const noexcept { return to_error_code(goro_ctx_cause(c_)); }
    std::optional<time_point> deadline() const noexcept
    {
        int64_t d;
        if (!goro_ctx_deadline(c_, &d))
            return std::nullopt;
        return detail::from_ns(d);
    }
    // The value stored under key by with_value here or in an ancestor.
    template <class T> T *value(const context_key<T> &key) const noexcept
    {
        return static_cast<T *>(goro_ctx_value(c_, &key));
    }
    goro_ctx *native_handle() const noexcept { return c_; }

private:
    goro_ctx *c_;
};

inline context background() noexcept { return context(); }
inline context with_cancel(const context &parent)
{
    return context::adopt(goro_ctx_with_cancel(parent.native_handle()));
}
template <class Rep, class Period>
context with_timeout(const context &parent, std::chrono::duration<Rep, Period> d)
{
    return context::adopt(goro_ctx_with_timeout(parent.native_handle(), detail::to_ns(d)));
}
template <class Clock, class Dur>
context with_deadline(const context &parent, const std::chrono::time_point<Clock, Dur> &tp)
{
    return context::adopt(
        goro_ctx_with_deadline(parent.native_handle(), detail::deadline_ns(tp)));
}
// Stores a pointer: *val must outlive every context derived from this one.
template <class T> context with_value(const context &parent, const context_key<T> &key, T *val)
{
    return context::adopt(goro_ctx_with_value(parent.native_handle(), &key, val));
}
inline context without_cancel(const context &parent)
{
    return context::adopt(goro_ctx_without_cancel(parent.native_handle()));
}

// ---- Weighted semaphore -------------------------------------------------------
class semaphore : detail::pinned {
public:
    explicit semaphore(int64_t size) : s_(detail::check_ptr(goro_sema_new(size), "goro::semaphore")) {}
    ~semaphore() { goro_sema_free(s_); }
    // Waits for n units, or until ctx ends: {} or the context's error.
    std::error_code acquire(const context &ctx, int64_t n = 1) noexcept
    {
        return to_error_code(goro_sema_acquire(s_, ctx.native_handle(), n));
    }
    void acquire(int64_t n = 1) noexcept { goro_sema_acquire(s_, nullptr, n); }
    bool try_acquire(int64_t n = 1) noexcept { return goro_sema_try_acquire(s_, n) == 0; }
    void release(int64_t n = 1, source_location loc = source_location::current()) noexcept
    {
        goro_sema_release_at(s_, n, loc.file_name(), loc.line());
    }

private:
    goro_sema *s_;
};

// ---- Error group ----------------------------------------------------------------
// errgroup.WithContext(parent). A task is a callable returning int (a goro
// code), std::error_code, or void (success). The first failure cancels
// context() and is what wait() returns. An exception escaping a task fails
// the group the same way, and wait() rethrows the first such exception
// (before any error code) once every task has ended. The destructor waits
// for tasks still running.
class errgroup : detail::pinned {
public:
    explicit errgroup(const context &parent = context())
        : g_(detail::check_ptr(goro_errgroup_new(parent.native_handle()), "goro::errgroup"))
    {
    }
    ~errgroup()
    {
        if (!waited_)
            goro_errgroup_wait(g_);
        goro_errgroup_free(g_);
    }
    context ctx() const { return context::adopt(goro_ctx_retain(goro_errgroup_ctx(g_))); }
    // Starts f, first waiting while the limit is reached.
    template <class F> void go(F &&f, source_location loc = source_location::current())
    {
        start(goro_errgroup_go_at, std::forward<F>(f), loc);
    }
    // false, starting nothing, while the limit is reached.
    template <class F> bool try_go(F &&f, source_location loc = source_location::current())
    {
        return start(goro_errgroup_try_go_at, std::forward<F>(f), loc);
    }
    // At most n tasks at once (n < 0: no limit); invalid_argument while
    // tasks run.
    void set_limit(int n) { detail::check(goro_errgroup_set_limit(g_, n), "goro::errgroup::set_limit"); }
    std::error_code wait()
    {
        int rc = goro_errgroup_wait(g_);
        waited_ = true;
        std::lock_guard<mutex> lk(mu_);
        if (exc_)
            std::rethrow_exception(std::exchange(exc_, nullptr));
        return first_ ? first_ : to_error_code(rc);
    }

private:
    template <class F> struct task {
        errgroup *g;
        F f;
        static int body(void *p) noexcept
        {
            std::unique_ptr<task> t(static_cast<task *>(p));
            std::error_code ec;
            try {
                using R = std::invoke_result_t<F &>;
                if constexpr (std::is_void<R>::value)
                    std::invoke(t->f);
                else if constexpr (std::is_same<R, std::error_code>::value)
                    ec = std::invoke(t->f);
                else
                    ec = to_error_code(static_cast<int>(std::invoke(t->f)));
            } catch (...) {
                return t->g->failed(std::error_code(errc::canceled), std::current_exception());
            }
            return ec ? t->g->failed(ec, nullptr) : 0;
        }
    };

    template <class Start, class F> bool start(Start start_fn, F &&f, source_location loc)
    {
        auto t = std::make_unique<task<std::decay_t<F>>>(
            task<std::decay_t<F>>{this, std::forward<F>(f)});
        int rc = start_fn(g_, task<std::decay_t<F>>::body, t.get(), loc.file_name(), loc.line());
        if (rc == GORO_EAGAIN)
            return false;
        detail::check(rc, "goro::errgroup::go");
        t.release();   // the task owns itself now
        return true;
    }

    // Records a task's failure; the int goes to the C group (its cause).
    int failed(std::error_code ec, std::exception_ptr e) noexcept
    {
        std::lock_guard<mutex> lk(mu_);
        if (e && !exc_)
            exc_ = e;
        if (!first_)
            first_ = ec;
        return detail::to_int(ec, GORO_ECANCELED);
    }

    goro_errgroup *g_;
    bool waited_ = false;
    mutex mu_;
    std::error_code first_;       // guarded by mu_
    std::exception_ptr exc_;      // guarded by mu_
};

// ---- Timers and tickers -----------------------------------------------------------
// time.After(d): receives the fire time once.
template <class Rep, class Period> recv_chan<time_point> after(std::chrono::duration<Rep, Period> d)
{
    return recv_chan<time_point>::adopt(
        detail::check_ptr(goro_after(detail::to_ns(d)), "goro::after"));
}

// time.Timer (Go 1.23 semantics: stop and reset drain a fired value).
class timer : detail::pinned {
public:
    template <class Rep, class Period>
    explicit timer(std::chrono::duration<Rep, Period> d)
        : t_(detail::check_ptr(goro_timer_new(detail::to_ns(d)), "goro::timer")),
          c_(recv_chan<time_point>::borrow(goro_timer_chan(t_)))
    {
    }
    ~timer() { goro_timer_free(t_); }
    const recv_chan<time_point> &chan() const noexcept { return c_; }
    // true if the timer was pending (counting a value not yet received)
    bool stop() noexcept { return goro_timer_stop(t_); }
    template <class Rep, class Period> bool reset(std::chrono::duration<Rep, Period> d) noexcept
    {
        return goro_timer_reset(t_, detail::to_ns(d));
    }

private:
    goro_timer *t_;
    recv_chan<time_point> c_;
};

// time.Ticker: a tick every period; ticks a slow reader misses are dropped.
class ticker : detail::pinned {
public:
    template <class Rep, class Period>
    explicit ticker(std::chrono::duration<Rep, Period> period)
        : t_(new_ticker(detail::to_ns(period))),
          c_(recv_chan<time_point>::borrow(goro_ticker_chan(t_)))
    {
    }
    ~ticker() { goro_ticker_free(t_); }
    const recv_chan<time_point> &chan() const noexcept { return c_; }
    template <class Rep, class Period> void reset(std::chrono::duration<Rep, Period> period)
    {
        detail::check(goro_ticker_reset(t_, detail::to_ns(period)), "goro::ticker::reset");
    }
    void stop() noexcept { goro_ticker_stop(t_); }

private:
    static goro_ticker *new_ticker(int64_t period)
    {
        if (period <= 0)
            detail::raise(GORO_EINVAL, "goro::ticker: period <= 0");
        return detail::check_ptr(goro_ticker_new(period), "goro::ticker");
    }
    goro_ticker *t_;
    recv_chan<time_point> c_;
};

}  // namespace goro

#endif /* GORO_HPP */
