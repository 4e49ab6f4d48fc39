// Command benchtool is the measuring half of `make bench` (scripts/bench/run.sh starts and stops the servers):
//
//	benchtool upstream -addr 127.0.0.1:0 -port-file F -cassettes DIR   the stub gateway (JSON and flushed SSE)
//	benchtool seq -url U -body F [-H 'k: v'] -d 5s                     one request at a time, per-request latency
//	benchtool wait -url U | -tcp HOST:PORT [-since NANOS]               waits for a server, prints ms since -since
//	benchtool freeport [-n N]                                           prints N free loopback ports
//	benchtool measure -targets F -out raw.json ...                      the interleaved runs of every target
//	benchtool prompts -out DIR -src-zip $JAVA_HOME/lib/src.zip                long and adversarial prompt bodies
//	benchtool cold -target T -series S -url U -body F -n 300 -out F     the first requests after a fresh start
//	benchtool report -in raw.json -json docs/benchmarks.json -md docs/BENCHMARKS.md
//
// Only the standard library, so `go build` needs no module download.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "upstream":
		err = upstreamMain(args)
	case "seq":
		err = seqMain(args)
	case "wait":
		err = waitMain(args)
	case "freeport":
		err = freeportMain(args)
	case "measure":
		err = measureMain(args)
	case "prompts":
		err = promptsMain(args)
	case "cold":
		err = coldMain(args)
	case "report":
		err = reportMain(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr,
		"usage: benchtool upstream|seq|wait|freeport|measure|prompts|cold|report [flags] (see main.go)")
	os.Exit(2)
}
