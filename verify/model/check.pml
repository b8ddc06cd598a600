/* SPDX-License-Identifier: MIT */
/*
 * check.pml: the end-of-run checks, run once every client has finished
 * (a client that never finishes is a deadlock or a lost wakeup, which spin
 * reports as an invalid end state). Included by every scenario after its
 * clients; the scenario defines NCLIENT.
 */
proctype checker()
{
    byte v, c, i;
    bit inbuf;
    (ndone == NCLIENT);
    d_step {
        /* every sudog was unlinked (by its waker, a dequeue that lost the
         * claim, or the owner's own cleanup), every lock released */
        c = 0;
        do
        :: c < NCH * 2 -> assert(qn[c] == 0); c++
        :: else -> break
        od;
        assert(ch_lock[0] == 0 && ch_lock[1] == 0);
        /* each buffer holds exactly the abstract FIFO's values, in order */
        c = 0;
        do
        :: c < NCH ->
            assert(gqn[c] == ch_count[c]);
            i = 0;
            do
            :: i < ch_count[c] ->
                assert(gq[c * GQLEN + i] == ch_buf[c * MAXCAP + (ch_recvx[c] + i) % ch_cap[c]]);
                i++
            :: else -> break
            od;
            c++
        :: else -> break
        od;
        /* conservation: a value whose send returned 0 was returned by
         * exactly one receive or is still buffered; a value that was
         * returned or buffered was sent with result 0; a value taken off a
         * channel was returned to its receiver */
        v = 1;
        do
        :: v < NVAL ->
            inbuf = 0; c = 0;
            do
            :: c < NCH ->
                i = 0;
                do
                :: i < gqn[c] ->
                    if
                    :: gq[c * GQLEN + i] == v -> inbuf = 1
                    :: else -> skip
                    fi;
                    i++
                :: else -> break
                od;
                c++
            :: else -> break
            od;
            assert(!returned[v] || sent_ok[v]);
            assert(!inbuf || sent_ok[v]);
            assert(!sent_ok[v] || returned[v] + inbuf == 1);
            assert(taken[v] == returned[v]);
            v++
        :: else -> break
        od
    }
}
