package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SeqOptions describe a run of one request at a time on one keep-alive connection.
type SeqOptions struct {
	URL      string
	Body     []byte
	Headers  []string // "Name: value"
	Duration time.Duration
	MaxCount int    // 0: as many as fit in Duration
	Expect   []byte // every response body must contain this (the usage object, or [DONE] for streams)
}

// SeqResult is what one sequential run measured. Total is the time from the first request byte written to the last
// response byte read; TTFB to the first body byte (for streams: the first event).
type SeqResult struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	Total      Pcts    `json:"total_ms"`
	TTFB       Pcts    `json:"ttfb_ms"`
	// Every successful request's total time, in the order sent: the cold-start series read windows of it.
	Totals []time.Duration `json:"-"`
}

// Pcts are latency percentiles in milliseconds.
type Pcts struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func percentiles(d []time.Duration) Pcts {
	if len(d) == 0 {
		return Pcts{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1
		i = max(0, min(i, len(s)-1))
		return ms(s[i])
	}
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return Pcts{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s)))}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// RunSeq sends the same request again and again on one keep-alive connection, waiting for each full response before
// the next, and records per-request latency. It reconnects when the server closes the connection, and gives up after
// 20 errors in a row.
func RunSeq(ctx context.Context, o SeqOptions) SeqResult {
	u, err := url.Parse(o.URL)
	if err != nil {
		return SeqResult{Errors: 1, FirstError: err.Error()}
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n",
		u.RequestURI(), u.Host, len(o.Body))
	for _, h := range o.Headers {
		req.WriteString(h + "\r\n")
	}
	req.WriteString("\r\n")
	req.Write(o.Body)
	wire := req.Bytes()

	var res SeqResult
	var totals, ttfbs []time.Duration
	var conn net.Conn
	var rd *bufio.Reader
	body := make([]byte, 0, 64<<10)
	started := time.Now()
	deadline := started.Add(o.Duration)
	streak := 0
	fail := func(err error) {
		res.Errors++
		streak++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
		if conn != nil {
			conn.Close()
			conn = nil
		}
	}
	for ctx.Err() == nil && time.Now().Before(deadline) && (o.MaxCount == 0 || res.Requests < o.MaxCount) && streak < 20 {
		if conn == nil {
			if conn, err = net.DialTimeout("tcp", u.Host, 5*time.Second); err != nil {
				fail(err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			rd = bufio.NewReaderSize(conn, 64<<10)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		t0 := time.Now()
		if _, err := conn.Write(wire); err != nil {
			fail(err)
			continue
		}
		status, keep, ttfb, b, err := readResponse(rd, body[:0], t0)
		total := time.Since(t0)
		body = b
		if err != nil {
			fail(err)
			continue
		}
		if status != 200 || !bytes.Contains(body, o.Expect) {
			fail(fmt.Errorf("status %d, body %q", status, excerpt(body)))
			continue
		}
		streak = 0
		res.Requests++
		totals = append(totals, total)
		ttfbs = append(ttfbs, ttfb)
		if !keep {
			conn.Close()
			conn = nil
		}
	}
	if conn != nil {
		conn.Close()
	}
	res.Seconds = time.Since(started).Seconds()
	res.Total = percentiles(totals)
	res.TTFB = percentiles(ttfbs)
	res.Totals = totals
	return res
}

func excerpt(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// readResponse reads one HTTP/1.1 response (Content-Length, chunked, or until close) and appends its body to dst.
// ttfb is when the first body byte was readable.
func readResponse(rd *bufio.Reader, dst []byte, t0 time.Time) (status int, keepAlive bool, ttfb time.Duration, body []byte, err error) {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return 0, false, 0, dst, err
	}
	f := strings.Fields(string(line))
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") {
		return 0, false, 0, dst, fmt.Errorf("not an HTTP/1.x status line: %q", line)
	}
	status, _ = strconv.Atoi(f[1])
	keepAlive = f[0] == "HTTP/1.1"
	length, chunked := -1, false
	for {
		line, err = rd.ReadSlice('\n')
		if err != nil {
			return status, false, 0, dst, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		name, value, _ := strings.Cut(string(line), ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "content-length":
			length, _ = strconv.Atoi(value)
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(value), "chunked")
		case "connection":
			keepAlive = !strings.EqualFold(value, "close")
		}
	}
	markFirst := func() {
		if ttfb == 0 {
			if _, err := rd.Peek(1); err == nil {
				ttfb = time.Since(t0)
			}
		}
	}
	switch {
	case chunked:
		for {
			line, err = rd.ReadSlice('\n')
			if err != nil {
				return status, false, ttfb, dst, err
			}
			sizeText, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
			size, perr := strconv.ParseInt(sizeText, 16, 64)
			if perr != nil {
				return status, false, ttfb, dst, fmt.Errorf("bad chunk size %q", line)
			}
			if size == 0 {
				for { // trailers, then the final blank line
					line, err = rd.ReadSlice('\n')
					if err != nil || len(bytes.TrimSpace(line)) == 0 {
						return status, keepAlive, ttfb, dst, err
					}
				}
			}
			markFirst()
			if dst, err = appendN(rd, dst, int(size)); err != nil {
				return status, false, ttfb, dst, err
			}
			if _, err = rd.Discard(2); err != nil {
				return status, false, ttfb, dst, err
			}
		}
	case length >= 0:
		if length > 0 {
			markFirst()
		}
		dst, err = appendN(rd, dst, length)
		return status, keepAlive, ttfb, dst, err
	default:
		markFirst()
		rest, err := io.ReadAll(rd)
		return status, false, ttfb, append(dst, rest...), err
	}
}

func appendN(rd *bufio.Reader, dst []byte, n int) ([]byte, error) {
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	_, err := io.ReadFull(rd, dst[start:])
	return dst, err
}

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

func seqMain(args []string) error {
	fs := flag.NewFlagSet("seq", flag.ExitOnError)
	target := fs.String("url", "", "e.g. http://127.0.0.1:8686/v1/chat/completions")
	bodyFile := fs.String("body", "", "request body file")
	dur := fs.Duration("d", 5*time.Second, "how long to send requests")
	count := fs.Int("n", 0, "stop after this many requests (0: only the duration limits)")
	expect := fs.String("expect", `"usage"`, "every response body must contain this")
	var headers headerList
	fs.Var(&headers, "H", "extra request header 'Name: value' (repeatable)")
	fs.Parse(args)
	if *target == "" || *bodyFile == "" {
		return errors.New("-url and -body are required")
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	r := RunSeq(context.Background(), SeqOptions{URL: *target, Body: body, Headers: headers, Duration: *dur,
		MaxCount: *count, Expect: []byte(*expect)})
	out, _ := json.MarshalIndent(r, "", "  ")
	fmt.Println(string(out))
	if r.Requests == 0 {
		return fmt.Errorf("no successful request: %s", r.FirstError)
	}
	return nil
}
