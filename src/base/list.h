/* SPDX-License-Identifier: MIT */
/*
 * list.h: the one intrusive doubly linked list of the runtime.
 *
 * A list is two pointers, `head` and `tail`, held by its owner (fields of
 * any names); a node is any struct with `next` and `prev` fields of its own
 * pointer type. The macros take the head and tail as lvalues and the node
 * as a pointer; each argument is evaluated more than once, so pass names
 * or side-effect-free field accesses only.
 *
 * Invariants (whoever owns the list's lock holds it for every macro):
 * - empty: head == tail == NULL;
 * - head->prev == NULL, tail->next == NULL, and for each linked node n,
 *   n->next->prev == n and n->prev->next == n where those exist;
 * - a node is on at most one list at a time; GORO__LIST_REMOVE leaves its
 *   next and prev NULL, so a node off every list has both NULL. Users that
 *   need "is it linked?" keep their own flag (`queued`, `linked`): a sole
 *   node also has both NULL.
 *
 * The head is written with a relaxed atomic store (the same instruction as
 * a plain store on the targets goro supports) so that owners may peek at
 * it without the lock (a channel's fast paths read `first` that way); the
 * rest is plain, lock-protected memory.
 *
 * Singly linked "wake lists" built after a removal (chained through
 * `next`, walked once the lock is dropped) are not lists in this sense:
 * they reuse `next` of nodes already off their list.
 */
#ifndef GORO_BASE_LIST_H
#define GORO_BASE_LIST_H

#include <stddef.h>

#define GORO__LIST_SET_HEAD_(head, v) \
    __atomic_store_n(&(head), (v), __ATOMIC_RELAXED)

#define GORO__LIST_EMPTY(head) ((head) == NULL)

#define GORO__LIST_PUSH_BACK(head, tail, n)         \
    do {                                            \
        (n)->next = NULL;                           \
        (n)->prev = (tail);                         \
        if (tail)                                   \
            (tail)->next = (n);                     \
        else                                        \
            GORO__LIST_SET_HEAD_(head, n);          \
        (tail) = (n);                               \
    } while (0)

#define GORO__LIST_PUSH_FRONT(head, tail, n)        \
    do {                                            \
        (n)->prev = NULL;                           \
        (n)->next = (head);                         \
        if (head)                                   \
            (head)->prev = (n);                     \
        else                                        \
            (tail) = (n);                           \
        GORO__LIST_SET_HEAD_(head, n);              \
    } while (0)

#define GORO__LIST_REMOVE(head, tail, n)            \
    do {                                            \
        if ((n)->prev)                              \
            (n)->prev->next = (n)->next;            \
        else                                        \
            GORO__LIST_SET_HEAD_(head, (n)->next);  \
        if ((n)->next)                              \
            (n)->next->prev = (n)->prev;            \
        else                                        \
            (tail) = (n)->prev;                     \
        (n)->next = (n)->prev = NULL;               \
    } while (0)

/* Walks from head to tail; the body must not remove `it` (take the next
 * node first, or use the pop loop `while ((n = head)) REMOVE(...)`). */
#define GORO__LIST_FOR_EACH(it, head) \
    for ((it) = (head); (it); (it) = (it)->next)

#endif
