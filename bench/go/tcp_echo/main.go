// SPDX-License-Identifier: MIT

// tcp_echo: Go twin of bench/tcp_echo.c. The same echo server on Go's net
// package (one goroutine per connection, 4 KiB Read then Write), on
// 127.0.0.1, driven by the same C load client: the program
// $TCP_ECHO_CLIENT (default build/release/bench/bench_tcp_echo) run as
// "client PORT CONNS" for 100 and 1,000 connections, 64-byte messages.
// The client prints the figures (requests per second, median of 3 passes
// after a warm-up), so they read exactly like the C side's; the server adds
// its own CPU time per request (cpu_us_per_req_N, see tcp_echo.c).
// Output format: see bench/bench.h ("<workload> <metric> <value>").
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"gorobench/harness"
)

var echoes int64 // writes done by the server

func handle(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			break
		}
		if _, err := c.Write(buf[:n]); err != nil {
			break
		}
		atomic.AddInt64(&echoes, 1)
	}
	c.Close()
}

func main() {
	harness.Header("tcp_echo")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	client := os.Getenv("TCP_ECHO_CLIENT")
	if client == "" {
		client = "build/release/bench/bench_tcp_echo"
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, conns := range []string{"100", "1000"} {
		e0, c0 := atomic.LoadInt64(&echoes), harness.CPUNs()
		cmd := exec.Command(client, "client", port, conns)
		cmd.Stdout = os.Stdout
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "load client:", err)
			os.Exit(1)
		}
		e := atomic.LoadInt64(&echoes) - e0
		us := 0.0
		if e > 0 {
			us = float64(harness.CPUNs()-c0) / 1e3 / float64(e)
		}
		fmt.Printf("tcp_echo cpu_us_per_req_%s %.4g\n", conns, us)
		time.Sleep(200 * time.Millisecond)
	}
}
