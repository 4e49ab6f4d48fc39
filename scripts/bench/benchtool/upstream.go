package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// GapHeader asks the stub to pause between SSE events, so a proxy that buffers shows up as a late first byte.
const GapHeader = "x-bench-sse-gap-ms"

// stub is the fast upstream: the golden cassettes of the sidecar's tests, answered from memory. JSON bodies go out
// with Content-Length in one write; a request with "stream": true gets the SSE cassette one event per write, each
// flushed at once (chunked), as a real gateway streams tokens.
type stub struct {
	json   []byte
	events [][]byte
	models []byte
	bufs   sync.Pool
}

func upstreamMain(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	portFile := fs.String("port-file", "", "write the chosen port here once listening")
	cassettes := fs.String("cassettes", "sidecar/src/test/resources/cassettes", "directory of the golden cassettes")
	fs.Parse(args)

	s, err := loadStub(*cassettes)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *portFile != "" {
		port := ln.Addr().(*net.TCPAddr).Port
		if err := os.WriteFile(*portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("GET /v1/models", s.modelList)
	mux.HandleFunc("GET /models", s.modelList)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	return srv.Serve(ln)
}

func loadStub(dir string) (*stub, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("cassette %s: %w (run from the repository root or pass -cassettes)", name, err)
		}
		return b, nil
	}
	js, err := read("chat-completion.json")
	if err != nil {
		return nil, err
	}
	sse, err := read("chat-completion.sse")
	if err != nil {
		return nil, err
	}
	models, err := read("models.json")
	if err != nil {
		return nil, err
	}
	s := &stub{json: bytes.TrimSpace(js), models: models, events: splitEvents(sse)}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	return s, nil
}

// splitEvents cuts an SSE stream into its events, each keeping its blank-line delimiter.
func splitEvents(sse []byte) [][]byte {
	var events [][]byte
	for len(sse) > 0 {
		i := bytes.Index(sse, []byte("\n\n"))
		if i < 0 {
			events = append(events, append(bytes.TrimRight(sse, "\n"), '\n', '\n'))
			break
		}
		events = append(events, sse[:i+2])
		sse = sse[i+2:]
	}
	return events
}

func (s *stub) chat(w http.ResponseWriter, r *http.Request) {
	buf := s.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer s.bufs.Put(buf)
	if _, err := buf.ReadFrom(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body := buf.Bytes()
	if !bytes.Contains(body, []byte(`"stream":true`)) && !bytes.Contains(body, []byte(`"stream": true`)) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(s.json)))
		w.Write(s.json)
		return
	}
	var gap time.Duration
	if g := r.Header.Get(GapHeader); g != "" {
		ms, _ := strconv.ParseFloat(g, 64)
		gap = time.Duration(ms * float64(time.Millisecond))
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	flusher := w.(http.Flusher)
	for i, ev := range s.events {
		if i > 0 && gap > 0 {
			time.Sleep(gap)
		}
		if _, err := w.Write(ev); err != nil {
			return
		}
		flusher.Flush()
	}
}

func (s *stub) modelList(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.Copy(w, bytes.NewReader(s.models))
}
