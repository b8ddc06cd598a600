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
 * Singly linked lists (GORO__SLIST_*, at the end) are the other kind: a
 * stack (head only) or a queue (head and tail), through a link field the
 * caller names. Wake lists built after a removal (chained through a node's
 * `next` or `wake_next`, walked once the lock is dropped), free lists and
 * registrations are such lists; wake lists reuse the link of nodes already
 * off their doubly linked list.
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

/* ---- singly linked: link is the field's name ---- */

/* n becomes the first node (a stack's push). */
#define GORO__SLIST_PUSH(head, n, link)             \
    do {                                            \
        (n)->link = (head);                         \
        (head) = (n);                               \
    } while (0)

/* n becomes the last node of the queue head..tail (empty: both NULL). */
#define GORO__SLIST_APPEND(head, tail, n, link)     \
    do {                                            \
        (n)->link = NULL;                           \
        if (tail)                                   \
            (tail)->link = (n);                     \
        else                                        \
            (head) = (n);                           \
        (tail) = (n);                               \
    } while (0)

/* Unlinks n (of type T) from the stack or queue without tail at head if
 * it is there; `found` (a bool lvalue) says whether it was. */
#define GORO__SLIST_REMOVE(T, head, n, link, found)     \
    do {                                                \
        (found) = false;                                \
        for (T **pp_ = &(head); *pp_; pp_ = &(*pp_)->link) \
            if (*pp_ == (n)) {                          \
                *pp_ = (n)->link;                       \
                (found) = true;                         \
                break;                                  \
            }                                           \
    } while (0)

#endif
