package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

// ColdRun is one series of requests, one at a time, sent to a target right after it started (run.sh starts a fresh
// sidecar JVM for each series): what the first requests of a new pod pay before the JIT has compiled their paths.
type ColdRun struct {
	Target   string   `json:"target"`
	Series   string   `json:"series"` // "source-100k", "source-400k" (long prompts), "short-json", "short-sse"
	Kind     string   `json:"kind"`   // "json" or "sse"
	Bytes    int      `json:"request_bytes"`
	ReadyMs  *float64 `json:"ready_ms,omitempty"`
	Requests int      `json:"requests"`
	Errors   int      `json:"errors"`
	Error    string   `json:"first_error,omitempty"`
	FirstMs  float64  `json:"first_request_ms"`
	// p50 of the first FirstN requests, and of requests From..To (1-based, inclusive) of the series.
	FirstN     int     `json:"first_n"`
	FirstNP50  float64 `json:"first_n_p50_ms"`
	From       int     `json:"window_from"`
	To         int     `json:"window_to"`
	WindowP50  float64 `json:"window_p50_ms"`
	AllP50     float64 `json:"p50_ms"`
	LastTenthP float64 `json:"last_tenth_p50_ms"` // the last 10% of the series: how far it got
}

// coldMain sends -n requests one at a time and appends one ColdRun (a JSON line) to -out:
//
//	benchtool cold -target sidecar-full -series source-100k -url U -body F [-H 'k: v'] [-expect X] -n 300 -out F
func coldMain(args []string) error {
	fs := flag.NewFlagSet("cold", flag.ExitOnError)
	target := fs.String("target", "", "target name, e.g. sidecar-full")
	series := fs.String("series", "", "series name, e.g. source-100k")
	kind := fs.String("kind", "json", "json or sse (sse: every answer must end with data: [DONE])")
	u := fs.String("url", "", "chat completions URL")
	bodyFile := fs.String("body", "", "request body file")
	count := fs.Int("n", 300, "requests in the series")
	firstN := fs.Int("first", 16, "the first requests summarised on their own")
	from := fs.Int("from", 100, "first request of the window (1-based)")
	to := fs.Int("to", 300, "last request of the window (1-based, inclusive)")
	readyMs := fs.Float64("ready-ms", -1, "the target's time to ready, recorded with the series (-1: unknown)")
	out := fs.String("out", "", "file the result is appended to (JSON lines)")
	var headers headerList
	fs.Var(&headers, "H", "extra request header 'Name: value' (repeatable)")
	fs.Parse(args)
	if *target == "" || *series == "" || *u == "" || *bodyFile == "" || *out == "" {
		return errors.New("-target, -series, -url, -body and -out are required")
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	expect := []byte(`"usage"`)
	if *kind == "sse" {
		expect = []byte("data: [DONE]")
	}
	r := RunSeq(context.Background(), SeqOptions{URL: *u, Body: body, Headers: headers, Duration: 5 * time.Minute,
		MaxCount: *count, Expect: expect})
	c := ColdRun{Target: *target, Series: *series, Kind: *kind, Bytes: len(body), Requests: r.Requests,
		Errors: r.Errors, Error: r.FirstError, FirstN: *firstN, From: *from, To: *to}
	if *readyMs >= 0 {
		c.ReadyMs = readyMs
	}
	// Only an unbroken series says which request paid what: after an error the positions no longer match.
	if r.Errors == 0 && len(r.Totals) > 0 {
		t := r.Totals
		c.FirstMs = ms(t[0])
		c.FirstNP50 = window(t, 1, *firstN)
		c.WindowP50 = window(t, *from, *to)
		c.AllP50 = r.Total.P50
		c.LastTenthP = window(t, len(t)-len(t)/10+1, len(t))
	}
	line, _ := json.Marshal(c)
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return err
	}
	logf("cold %-20s %-12s first %8.3f ms  first %d p50 %8.3f ms  %d-%d p50 %8.3f ms%s", c.Target, c.Series,
		c.FirstMs, c.FirstN, c.FirstNP50, c.From, c.To, c.WindowP50, errorNote(c.Errors, c.Error))
	if r.Requests < *count {
		return fmt.Errorf("%s answered %d of %d %s requests: %s", *target, r.Requests, *count, *series, r.FirstError)
	}
	return nil
}

// window is the p50 of requests from..to (1-based, inclusive) of a series, 0 when the series is shorter.
func window(t []time.Duration, from, to int) float64 {
	from, to = max(1, from), min(len(t), to)
	if from > to {
		return 0
	}
	return percentiles(t[from-1 : to]).P50
}

// readCold reads the JSON lines coldMain appended.
func readCold(file string) ([]ColdRun, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []ColdRun
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c ColdRun
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		runs = append(runs, c)
	}
	return runs, sc.Err()
}
