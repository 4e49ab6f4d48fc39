package main

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Prompt is one request body of the long-prompt runs: real source text of a given size, or an adversarial shape.
type Prompt struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // "size" or "adversarial"
	Bytes       int    `json:"bytes"`
	Description string `json:"description"`
}

// PromptRun is one target answering one prompt, one request at a time.
type PromptRun struct {
	Prompt   string  `json:"prompt"`
	Target   string  `json:"target"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Error    string  `json:"first_error,omitempty"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
}

// promptsMain writes the long-prompt bodies and, for `opa bench`, the policy input the sidecar builds for each:
//
//	benchtool prompts -out DIR -src-zip $JAVA_HOME/lib/src.zip [-sizes 1,10,100,400]
//
// DIR gets NAME.json (the chat request), NAME.input.json (the policy input) and prompts.json (the list).
func promptsMain(args []string) error {
	fs := flag.NewFlagSet("prompts", flag.ExitOnError)
	out := fs.String("out", "", "directory for the bodies")
	srcZip := fs.String("src-zip", "", "the JDK's lib/src.zip: real source text nobody wrote for this benchmark")
	sizes := fs.String("sizes", "1,10,100,400", "sizes of the source-text prompts in KiB")
	fs.Parse(args)
	if *out == "" || *srcZip == "" {
		return errors.New("-out and -src-zip are required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var list []Prompt
	largest := 0
	for _, s := range split(*sizes) {
		kib, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("-sizes: %q is not a number of KiB", s)
		}
		largest = max(largest, kib<<10)
	}
	source, err := sourceText(*srcZip, largest)
	if err != nil {
		return err
	}
	add := func(name, kind, description, text string) error {
		list = append(list, Prompt{Name: name, Kind: kind, Bytes: len(text), Description: description})
		return writePrompt(*out, name, text)
	}
	for _, s := range split(*sizes) {
		kib, _ := strconv.Atoi(s)
		if err := add(fmt.Sprintf("source-%dk", kib), "size",
			fmt.Sprintf("the first %d KiB of the JDK's src.zip (.java files in zip order)", kib),
			truncateUTF8(source, kib<<10)); err != nil {
			return err
		}
	}
	const k100 = 100 << 10
	for _, a := range []struct{ name, description, text string }{
		{"sk-repeated", "`sk-` repeated to 100 KiB (an OpenAI-key prefix with no key)", repeatTo("sk-", k100)},
		{"akia-repeated", "`AKIA` repeated to 100 KiB (an AWS-key prefix with no key)", repeatTo("AKIA", k100)},
		{"ghp-repeated", "`ghp_` repeated to 100 KiB (a GitHub-token prefix with no token)", repeatTo("ghp_", k100)},
		{"begin-repeated", "`-----BEGIN ` repeated to 100 KiB (a PEM header prefix)", repeatTo("-----BEGIN ", k100)},
		{"jwt-prefix-repeated", "`eyJ` repeated to 100 KiB (a JWT prefix)", repeatTo("eyJ", k100)},
		{"digits-spaced", "100 KiB of random digits in groups of 4 separated by spaces", digitGroups(k100, ' ')},
		{"digits-dashed", "100 KiB of random digits in groups of 4 separated by dashes", digitGroups(k100, '-')},
		{"one-word-1m", "1 MiB of random letters without a space (one pre-tokenizer piece)", letters(1 << 20)},
		{"char-run-400k", "400 KiB of one character", strings.Repeat("a", 400<<10)},
	} {
		if err := add(a.name, "adversarial", a.description, a.text); err != nil {
			return err
		}
	}
	b, _ := json.MarshalIndent(list, "", "  ")
	return os.WriteFile(filepath.Join(*out, "prompts.json"), append(b, '\n'), 0o644)
}

// writePrompt writes the chat request and the policy input for one prompt text.
func writePrompt(dir, name, text string) error {
	messages := []map[string]any{
		{"role": "system", "content": "You are a careful code reviewer."},
		{"role": "user", "content": text},
	}
	body, err := json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": messages, "max_tokens": 256})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), body, 0o644); err != nil {
		return err
	}
	// The input document as the sidecar builds it (policies/README.md), for `opa bench` on the same policy.
	input := map[string]any{
		"request": map[string]any{"api": "chat.completions", "model": "gpt-4o-mini", "messages": messages,
			"max_tokens": 256, "temperature": nil, "stream": false, "user": nil, "tools_count": 0,
			"raw_size": len(body)},
		"subject": map[string]any{"team": "bench", "team_source": "pod", "user": "", "namespace": "", "pod": "",
			"service_account": "", "app": ""},
		"estimate": map[string]any{"model": "gpt-4o-mini", "priced": true, "prompt_tokens": len(text) / 4,
			"max_completion_tokens": 256, "max_cost_usd": 0.01, "input_usd_per_million": 0.15,
			"output_usd_per_million": 0.6},
		"findings": []any{},
		"budgets":  []any{},
		"time": map[string]any{"rfc3339": "2026-01-05T12:00:00Z", "unix_ns": 1767614400000000000,
			"weekday": "Monday", "hour": 12},
	}
	in, err := json.Marshal(input)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".input.json"), in, 0o644)
}

// sourceText concatenates the .java files of src.zip in zip order until it has n bytes.
func sourceText(path string, n int) (string, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return "", fmt.Errorf("%s: %v (the JDK's source archive; install a full JDK)", path, err)
	}
	defer z.Close()
	var b strings.Builder
	for _, f := range z.File {
		if b.Len() >= n {
			break
		}
		if !strings.HasSuffix(f.Name, ".java") {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return "", err
		}
		_, err = io.Copy(&b, bufio.NewReader(r))
		r.Close()
		if err != nil {
			return "", err
		}
	}
	if b.Len() < n {
		return "", fmt.Errorf("%s holds only %d bytes of .java files", path, b.Len())
	}
	return b.String(), nil
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // never cut a multi-byte character
		n--
	}
	return s[:n]
}

func repeatTo(unit string, n int) string { return strings.Repeat(unit, n/len(unit)) }

// rng is a small deterministic generator (xorshift), so every run sends the same bytes.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = rng(x)
	return x
}

func digitGroups(n int, sep byte) string {
	r := rng(0x9E3779B97F4A7C15)
	b := make([]byte, 0, n)
	for len(b) < n {
		for i := 0; i < 4; i++ {
			b = append(b, byte('0'+r.next()%10))
		}
		b = append(b, sep)
	}
	return string(b[:n])
}

func letters(n int) string {
	r := rng(0xD1B54A32D192ED03)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.next()%26)
	}
	return string(b)
}

// readPrompts loads prompts.json and the request bodies it lists.
func readPrompts(dir string) ([]Prompt, map[string][]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, "prompts.json"))
	if err != nil {
		return nil, nil, err
	}
	var list []Prompt
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, nil, err
	}
	bodies := map[string][]byte{}
	for _, p := range list {
		if bodies[p.Name], err = os.ReadFile(filepath.Join(dir, p.Name+".json")); err != nil {
			return nil, nil, err
		}
	}
	return list, bodies, nil
}

// OpaBench is `opa bench` of the same policy on one prompt's input: OPA's own Go engine, for comparison.
type OpaBench struct {
	Prompt  string  `json:"prompt"`
	NsPerOp float64 `json:"ns_per_op"`
	Error   string  `json:"error,omitempty"`
}

// readOpaBench reads NAME.json files written by `opa bench --format json` in dir (Go's testing.BenchmarkResult).
func readOpaBench(dir string, prompts []Prompt) []OpaBench {
	var out []OpaBench
	for _, p := range prompts {
		b, err := os.ReadFile(filepath.Join(dir, p.Name+".json"))
		if err != nil {
			continue
		}
		var r struct {
			N     int64              `json:"N"`
			T     int64              `json:"T"`
			Extra map[string]float64 `json:"Extra"`
		}
		ob := OpaBench{Prompt: p.Name}
		switch err := json.Unmarshal(b, &r); {
		case err != nil || r.N == 0:
			ob.Error = "no result: " + strings.TrimSpace(excerpt(b))
		case r.Extra["histogram_timer_rego_query_eval_ns_median"] > 0:
			// The evaluation alone, as the sidecar's decision log times it; T/N adds opa bench's own overhead.
			ob.NsPerOp = r.Extra["histogram_timer_rego_query_eval_ns_median"]
		default:
			ob.NsPerOp = float64(r.T) / float64(r.N)
		}
		out = append(out, ob)
	}
	return out
}

var errorCode = regexp.MustCompile(`\\?"code\\?":\\?"([a-z_]+)`)

// shortError is a refusal as "status 503 policy_error", or the first error itself when it is not an HTTP answer.
func shortError(e string) string {
	status := ""
	if strings.HasPrefix(e, "status ") {
		status = strings.SplitN(e, ",", 2)[0]
	}
	if m := errorCode.FindStringSubmatch(e); m != nil && status != "" {
		return status + " " + m[1]
	}
	if status != "" {
		return status
	}
	return excerpt([]byte(e))
}
