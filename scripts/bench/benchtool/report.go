package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
	direct      = "direct"
	nginx       = "nginx"
)

// Row is the median over rounds of one target under one shape and kind.
type Row struct {
	Target        string   `json:"target"`
	Shape         string   `json:"shape"`
	Kind          string   `json:"kind"`
	Pinned        bool     `json:"pinned,omitempty"`
	Rounds        int      `json:"rounds"`
	Errors        int      `json:"errors"`
	RPS           float64  `json:"rps"`
	P50           float64  `json:"p50_ms"`
	P99           float64  `json:"p99_ms"`
	AddedP50      *float64 `json:"added_p50_ms,omitempty"`
	AddedP99      *float64 `json:"added_p99_ms,omitempty"`
	TTFBp50       *float64 `json:"ttfb_p50_ms,omitempty"`
	TTFBp99       *float64 `json:"ttfb_p99_ms,omitempty"`
	VsNginx       *float64 `json:"rps_vs_nginx,omitempty"`
	CPUus         float64  `json:"cpu_us_per_req"`
	HelperCPUus   float64  `json:"helper_cpu_us_per_req,omitempty"`
	UpstreamCPUus float64  `json:"upstream_cpu_us_per_req"`
	UpstreamCores float64  `json:"upstream_cpu_cores"`
	RSSMaxMiB     float64  `json:"rss_max_mib"`
}

// StreamCheck is the buffering probe's median per target.
type StreamCheck struct {
	Target   string  `json:"target"`
	TTFBp50  float64 `json:"ttfb_p50_ms"`
	TotalP50 float64 `json:"total_p50_ms"`
	Verdict  string  `json:"verdict"` // "streams", "buffers", "inconclusive: ..."
}

// Report is docs/benchmarks.json: the summary first, then every run it was computed from.
type Report struct {
	Measured  string            `json:"measured"`
	Note      string            `json:"note,omitempty"`
	Warnings  map[string]string `json:"log_warnings,omitempty"` // per target: how many warnings it logged, the first
	Noise     Noise             `json:"background_cpu"`
	Meta      map[string]string `json:"meta"`
	Config    Config            `json:"config"`
	Targets   []*Target         `json:"targets"`
	Summary   []Row             `json:"summary"`
	Streaming []StreamCheck     `json:"streaming"`
	Runs      []Run             `json:"runs"`
	Probes    []Probe           `json:"probes"`
	// Long and adversarial prompts: every run, and `opa bench` of the same policy on the same input.
	Prompts    []Prompt    `json:"prompts,omitempty"`
	PromptRuns []PromptRun `json:"prompt_runs,omitempty"`
	OpaBench   []OpaBench  `json:"opa_bench,omitempty"`
	// Issue 19's targets: throughput and added latency against nginx at 32 connections, the first requests after a
	// fresh start against the steady state.
	VersusNginx []Versus  `json:"versus_nginx,omitempty"`
	ColdStart   []ColdRow `json:"cold_start,omitempty"`
	ColdRuns    []ColdRun `json:"cold_runs,omitempty"`
}

// Noise is the CPU that processes outside the benchmark used during the runs, in cores.
type Noise struct {
	MedianCores float64 `json:"median_cores"`
	MaxCores    float64 `json:"max_cores"`
}

func reportMain(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	in := fs.String("in", "", "raw results of measure")
	jsonOut := fs.String("json", "docs/benchmarks.json", "machine-readable report")
	md := fs.String("md", "docs/BENCHMARKS.md", "document whose section between the bench markers is replaced")
	note := fs.String("note", "", "a sentence put above the tables (e.g. that the machine was busy)")
	warnings := fs.String("warnings", "", "target<TAB>what it logged: warnings the targets logged during the run")
	opaBench := fs.String("opa-bench", "", "directory of `opa bench --format json` results, one NAME.json per prompt")
	fs.Parse(args)
	if *in == "" {
		return errors.New("-in is required")
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var raw Raw
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%s: %v", *in, err)
	}
	rep := summarize(&raw)
	rep.Note = *note
	if *opaBench != "" {
		rep.OpaBench = readOpaBench(*opaBench, raw.Prompts)
	}
	if *warnings != "" {
		rep.Warnings = map[string]string{}
		if err := readMeta(*warnings, rep.Warnings); err != nil {
			return err
		}
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(*jsonOut, append(out, '\n'), 0o644); err != nil {
		return err
	}
	link, err := filepath.Rel(filepath.Dir(*md), *jsonOut)
	if err != nil {
		link = *jsonOut
	}
	section := markdown(rep, *jsonOut, filepath.ToSlash(link))
	if err := replaceSection(*md, section); err != nil {
		return err
	}
	fmt.Print(section)
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarize(raw *Raw) *Report {
	rep := &Report{Measured: raw.Measured, Meta: raw.Meta, Config: raw.Config, Targets: raw.Targets, Runs: raw.Runs,
		Probes: raw.Probes, Prompts: raw.Prompts, PromptRuns: raw.PromptRuns, ColdRuns: raw.ColdRuns}
	type key struct {
		target, shape, kind string
		pinned              bool
	}
	groups := map[key][]Run{}
	var foreign []float64
	for _, r := range raw.Runs {
		k := key{r.Target, r.Shape, r.Kind, r.Pinned}
		groups[k] = append(groups[k], r)
		foreign = append(foreign, r.ForeignCPUCores)
	}
	rep.Noise.MedianCores = median(foreign)
	for _, f := range foreign {
		rep.Noise.MaxCores = math.Max(rep.Noise.MaxCores, f)
	}
	rows := map[key]*Row{}
	type pass struct {
		shapes []string
		pinned bool
	}
	passes := []pass{{raw.Config.Shapes, false}, {raw.Config.PinShapes, true}}
	for _, ps := range passes {
		for _, shape := range ps.shapes {
			for _, kind := range raw.Config.Kinds {
				for _, t := range raw.Targets {
					k := key{t.Name, shape, kind, ps.pinned}
					runs := groups[k]
					if len(runs) == 0 {
						continue
					}
					col := func(f func(Run) float64) float64 {
						var xs []float64
						for _, r := range runs {
							xs = append(xs, f(r))
						}
						return median(xs)
					}
					row := &Row{Target: t.Name, Shape: shape, Kind: kind, Pinned: ps.pinned, Rounds: len(runs),
						RPS:           col(func(r Run) float64 { return r.RPS }),
						P50:           col(func(r Run) float64 { return r.Latency.P50 }),
						P99:           col(func(r Run) float64 { return r.Latency.P99 }),
						CPUus:         col(func(r Run) float64 { return r.CPUus }),
						HelperCPUus:   col(func(r Run) float64 { return r.HelperCPUus }),
						UpstreamCPUus: col(func(r Run) float64 { return r.UpstreamCPUus }),
						UpstreamCores: col(func(r Run) float64 { return r.UpstreamCPUCores }),
						RSSMaxMiB:     col(func(r Run) float64 { return r.RSSMaxMiB })}
					for _, r := range runs {
						row.Errors += r.Errors
					}
					if runs[0].TTFB != nil {
						p50 := col(func(r Run) float64 { return r.TTFB.P50 })
						p99 := col(func(r Run) float64 { return r.TTFB.P99 })
						row.TTFBp50, row.TTFBp99 = &p50, &p99
					}
					rows[k] = row
				}
			}
		}
	}
	for _, ps := range passes {
		for _, shape := range ps.shapes {
			for _, kind := range raw.Config.Kinds {
				base, floor := rows[key{direct, shape, kind, ps.pinned}], rows[key{nginx, shape, kind, ps.pinned}]
				for _, t := range raw.Targets {
					row := rows[key{t.Name, shape, kind, ps.pinned}]
					if row == nil {
						continue
					}
					if base != nil && t.Name != direct {
						a50, a99 := row.P50-base.P50, row.P99-base.P99
						row.AddedP50, row.AddedP99 = &a50, &a99
					}
					if floor != nil && shape != "seq" && floor.RPS > 0 {
						v := row.RPS / floor.RPS
						row.VsNginx = &v
					}
					rep.Summary = append(rep.Summary, *row)
				}
			}
		}
	}
	rep.VersusNginx = versusNginx(rep, versusShape)
	rep.ColdStart = coldRows(rep)

	probes := map[string][]Probe{}
	for _, p := range raw.Probes {
		probes[p.Target] = append(probes[p.Target], p)
	}
	// A proxy that buffers delivers every event at the end: the span from first to last event collapses. One that
	// streams keeps the stub's span, though it may hold the first event back (Portkey waits 25 ms by design).
	var base Probe
	for _, t := range raw.Targets {
		ps := probes[t.Name]
		if len(ps) == 0 {
			continue
		}
		var ttfb, total []float64
		for _, p := range ps {
			ttfb, total = append(ttfb, p.TTFBp50), append(total, p.TotalP50)
		}
		c := StreamCheck{Target: t.Name, TTFBp50: median(ttfb), TotalP50: median(total)}
		if t.Name == direct {
			base = Probe{TTFBp50: c.TTFBp50, TotalP50: c.TotalP50}
		}
		span, directSpan := c.TotalP50-c.TTFBp50, base.TotalP50-base.TTFBp50
		switch {
		case c.TotalP50 == 0:
			c.Verdict = "inconclusive: no stream completed"
		case directSpan <= 0:
			c.Verdict = "inconclusive: no direct run to compare with"
		case c.TotalP50 < 0.8*base.TotalP50:
			c.Verdict = "inconclusive: the pauses did not reach the stub (header " + GapHeader + " not forwarded?)"
		case span < 0.2*directSpan:
			c.Verdict = "buffers: the events arrive together at the end"
		case c.TTFBp50-base.TTFBp50 > 5:
			c.Verdict = fmt.Sprintf("streams, but holds the first event back %.0f ms", c.TTFBp50-base.TTFBp50)
		default:
			c.Verdict = "streams"
		}
		rep.Streaming = append(rep.Streaming, c)
	}
	return rep
}

func markdown(rep *Report, jsonPath, jsonLink string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := rep.Meta
	w("%s\n## End-to-end results (`make bench`)\n\n", beginMarker)
	w("_Measured by `make bench` (scripts/bench/run.sh) on %s; the section between the `bench` markers is replaced "+
		"on every run, and every run is also in [`%s`](%s)._\n\n", rep.Measured, filepath.Base(jsonPath), jsonLink)
	if rep.Note != "" {
		w("> **%s**\n\n", rep.Note)
	}
	w("Machine: %d cores (%s), %s, loopback only. Sidecar `%s` on %s; %s; %s; %s; %s; wrk %s; %s; Portkey gateway %s "+
		"on Node %s; stub upstream in Go (%s).\n\n", rep.Config.Cores, m["cpu"], m["kernel"], m["commit"], m["java"],
		m["nginx"], m["envoy"], m["litellm"], m["redis"], m["wrk"], m["go"], m["portkey"], m["node"], "scripts/bench/benchtool")
	w("Other processes on the machine used a median %.2f cores (at most %.2f) during the runs", rep.Noise.MedianCores,
		rep.Noise.MaxCores)
	if rep.Noise.MaxCores > 0.1 {
		w(": **the machine was not quiet, so these numbers are noisy**")
	}
	w(".\n\n")
	if len(rep.Warnings) > 0 {
		w("Warnings the targets logged (they may change what the numbers mean):\n\n")
		for _, t := range rep.Targets {
			if v, ok := rep.Warnings[t.Name]; ok {
				w("- `%s`: %s\n", t.Name, strings.ReplaceAll(v, "|", "\\|"))
			}
		}
		w("\n")
	}
	w("Each run sends the same %d-byte chat request (`scripts/bench/request.json`; `request-stream.json` for SSE, "+
		"answered with %s) for %s; the whole sequence of targets (%s) repeats %d times interleaved, after a warm-up "+
		"per target until its throughput is steady (at most %s), and every figure is the median over the rounds. _Added_ is the difference to `direct` (the "+
		"stub itself). CPU is the target's whole process tree (utime+stime from `/proc/<pid>/stat`) per request; "+
		"RSS is the largest `VmRSS` sampled during the run.\n\n",
		rep.Config.RequestSize, "the stub's 24-event cassette: a role chunk, 20 content chunks, a finish chunk, a usage chunk and "+
			"`[DONE]`, each written and flushed on its own", rep.Config.Duration, targetNames(rep.Targets),
		rep.Config.Rounds, rep.Config.Warmup)

	rows := map[string]Row{} // the runs with all CPUs; the pinned ones have a table of their own
	for _, r := range rep.Summary {
		if !r.Pinned {
			rows[r.Target+"/"+r.Shape+"/"+r.Kind] = r
		}
	}
	w("_First requests_ is the p50 of the first JSON requests right after the target reported ready, one at a time and " +
		"before any warm-up, against the steady-state p50 of the same requests after warm-up (_One request at a time_ " +
		"below). RSS under load is the largest of the 64-connection runs.\n\n")
	w("| Target | What it is | Ready after start | RSS idle | RSS under load | First requests p50 | × steady p50 |\n")
	w("|---|---|---|---|---|---|---|\n")
	for _, t := range rep.Targets {
		ready := "—"
		if t.ReadyMs != nil {
			ready = fmt.Sprintf("%.0f ms", *t.ReadyMs)
		}
		loaded := 0.0
		for _, r := range rep.Summary {
			if r.Target == t.Name && r.Shape != "seq" && !r.Pinned {
				loaded = math.Max(loaded, r.RSSMaxMiB)
			}
		}
		first, ratio := "—", "—"
		if t.FirstP50Ms != nil {
			first = fmt.Sprintf("%s (%d requests)", fmtMs(*t.FirstP50Ms), t.FirstCount)
			if steady, ok := rows[t.Name+"/seq/json"]; ok && steady.P50 > 0 {
				ratio = fmt.Sprintf("%.1f×", *t.FirstP50Ms/steady.P50)
			}
		}
		w("| `%s` | %s | %s | %.0f MiB | %.0f MiB | %s | %s |\n", t.Name, t.Description, ready, t.RSSIdleMiB, loaded,
			first, ratio)
	}
	w("\n")

	for _, shape := range rep.Config.Shapes {
		if shape == "seq" {
			w("### One request at a time\n\n")
			w("One keep-alive connection, each request sent when the previous response has fully arrived " +
				"(`benchtool seq`). For SSE, p50/p99 are to the last byte of the stream and _first event_ is the " +
				"time to its first byte.\n\n")
			w("| Target | Kind | p50 | p99 | Added p50 | Added p99 | First event p50 | CPU / req | RSS |\n")
			w("|---|---|---|---|---|---|---|---|---|\n")
		} else {
			w("### %s connections (wrk)\n\n", strings.TrimPrefix(shape, "c"))
			w("_Upstream CPU_ is the stub's share of a core during the run. The stub, wrk and the target share the " +
				"machine's cores, so `direct` is bounded by the cores rather than by the stub; nginx can beat it on SSE " +
				"because it passes several events to wrk in one write where the stub flushes each on its own.\n\n")
			w("| Target | Kind | req/s | × nginx | p50 | p99 | CPU / req | RSS under load | Upstream CPU |\n")
			w("|---|---|---|---|---|---|---|---|---|\n")
		}
		for _, kind := range rep.Config.Kinds {
			for _, t := range rep.Targets {
				r, ok := rows[t.Name+"/"+shape+"/"+kind]
				if !ok {
					continue
				}
				kindLabel := strings.ToUpper(kind)
				if shape == "seq" {
					first := "—"
					if r.TTFBp50 != nil {
						first = fmtMs(*r.TTFBp50)
					}
					w("| `%s` | %s | %s | %s | %s | %s | %s | %s | %.0f MiB |\n", t.Name, kindLabel, fmtMs(r.P50),
						fmtMs(r.P99), fmtAdded(r.AddedP50), fmtAdded(r.AddedP99), first, fmtCPU(r), r.RSSMaxMiB)
				} else {
					vs := "—"
					if r.VsNginx != nil {
						vs = fmt.Sprintf("%.2f×", *r.VsNginx)
					}
					w("| `%s` | %s | %s | %s | %s | %s | %s | %.0f MiB | %.2f cores |\n", t.Name, kindLabel,
						fmtRPS(r), vs, fmtMs(r.P50), fmtMs(r.P99), fmtCPU(r), r.RSSMaxMiB, r.UpstreamCores)
				}
			}
		}
		w("\n")
	}
	if len(rep.Streaming) > 0 {
		w("### Are streams relayed as they come?\n\n")
		w("%d streams per target and round with the stub pausing %g ms between events (header `%s`): a proxy "+
			"that buffers delivers the first event only at the end.\n\n", rep.Config.ProbeCount,
			rep.Config.ProbeGapMs, GapHeader)
		w("| Target | First event p50 | Whole stream p50 | Verdict |\n|---|---|---|---|\n")
		for _, c := range rep.Streaming {
			w("| `%s` | %s | %s | %s |\n", c.Target, fmtMs(c.TTFBp50), fmtMs(c.TotalP50), c.Verdict)
		}
		w("\n")
	}
	writeVersus(w, rep)
	writePinned(w, rep)
	writeCold(w, rep)
	if len(rep.PromptRuns) > 0 {
		writePrompts(w, rep)
	}
	w("### Commands\n\n```sh\n%s\n", m["invocation"])
	seen := map[string]bool{}
	for _, r := range rep.Runs {
		if r.Round != 1 || r.Target != direct || r.Pinned || seen[r.Shape+r.Kind] {
			continue
		}
		seen[r.Shape+r.Kind] = true
		w("%s\n", r.Command)
	}
	w("```\n\nThe targets, as run.sh starts them (ports are picked free on each run):\n\n```sh\n")
	for _, t := range rep.Targets {
		if c := m["command."+t.Name]; c != "" {
			w("# %s\n%s\n", t.Name, c)
		}
	}
	w("```\n%s\n", endMarker)
	return b.String()
}

func targetNames(ts []*Target) string {
	var names []string
	for _, t := range ts {
		names = append(names, "`"+t.Name+"`")
	}
	return strings.Join(names, ", ")
}

func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	case v >= 1:
		return fmt.Sprintf("%.2f ms", v)
	default:
		return fmt.Sprintf("%.3f ms", v)
	}
}

func fmtAdded(v *float64) string {
	if v == nil {
		return "—"
	}
	s := fmtMs(math.Abs(*v))
	if *v < 0 {
		return "−" + s
	}
	return "+" + s
}

func fmtRPS(r Row) string {
	s := fmt.Sprintf("%.0f", r.RPS)
	if r.Errors > 0 {
		s += fmt.Sprintf(" (%d errors)", r.Errors)
	}
	return s
}

func fmtCPU(r Row) string {
	s := fmt.Sprintf("%.0f µs", r.CPUus)
	if r.HelperCPUus > 0 {
		s += fmt.Sprintf(" + %.0f µs Redis", r.HelperCPUus)
	}
	return s
}

// replaceSection swaps the text between the markers (inclusive) for section, or appends section when the document
// has no markers yet; everything else in the document stays as written.
func replaceSection(path, section string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin := bytes.Index(doc, []byte(beginMarker))
	end := bytes.Index(doc, []byte(endMarker))
	var out []byte
	switch {
	case begin >= 0 && end > begin:
		out = append(append(append([]byte{}, doc[:begin]...), section...), bytes.TrimPrefix(doc[end+len(endMarker):], []byte("\n"))...)
	case begin < 0 && end < 0:
		out = append(append(bytes.TrimRight(doc, "\n"), "\n\n"...), section...)
	default:
		return fmt.Errorf("%s: found only one of %s and %s; fix the markers", path, beginMarker, endMarker)
	}
	return os.WriteFile(path, out, 0o644)
}

// writePrompts is the long-prompt table: p50 per target, what the sidecar adds over direct, and OPA's own engine.
func writePrompts(w func(string, ...any), rep *Report) {
	w("### Long and adversarial prompts\n\n")
	w("Each prompt is one chat request (`benchtool prompts`: real source text from the JDK's `src.zip`, and " +
		"adversarial shapes), sent one at a time to `direct` and to every sidecar. _Added_ is over `direct`. A refusal " +
		"or a timeout is an error: all of these are benign and must pass. _opa bench_ is OPA's own Go engine " +
		"(`opa bench`) evaluating the same bundled policies on the input the sidecar builds for that prompt.\n\n")
	runs := map[string]PromptRun{}
	var targets []string
	for _, r := range rep.PromptRuns {
		runs[r.Prompt+"/"+r.Target] = r
		if !contains(targets, r.Target) {
			targets = append(targets, r.Target)
		}
	}
	opa := map[string]OpaBench{}
	for _, o := range rep.OpaBench {
		opa[o.Prompt] = o
	}
	w("| Prompt | Bytes |")
	for _, t := range targets {
		if t == direct {
			w(" `direct` p50 |")
		} else {
			w(" `%s` added p50 / p99 |", t)
		}
	}
	w(" opa bench |\n|---|---|")
	for range targets {
		w("---|")
	}
	w("---|\n")
	for _, p := range rep.Prompts {
		w("| `%s` | %d |", p.Name, p.Bytes)
		base, hasBase := runs[p.Name+"/"+direct]
		for _, t := range targets {
			r, ok := runs[p.Name+"/"+t]
			switch {
			case !ok:
				w(" — |")
			case r.Requests == 0:
				w(" **failed** (%s) |", strings.ReplaceAll(shortError(r.Error), "|", "\\|"))
			case t == direct || !hasBase:
				w(" %s |", fmtMs(r.P50))
			default:
				a50, a99 := r.P50-base.P50, r.P99-base.P99
				note := ""
				if r.Errors > 0 {
					note = fmt.Sprintf(" (**%d errors**: %s)", r.Errors, strings.ReplaceAll(shortError(r.Error), "|", "\\|"))
				}
				w(" %s / %s%s |", fmtAdded(&a50), fmtAdded(&a99), note)
			}
		}
		switch o, ok := opa[p.Name]; {
		case !ok:
			w(" — |\n")
		case o.Error != "":
			w(" no result in 120 s |\n")
		default:
			w(" %s |\n", fmtMs(o.NsPerOp/1e6))
		}
	}
	w("\n")
	for _, p := range rep.Prompts {
		w("- `%s`: %s\n", p.Name, p.Description)
	}
	w("\n")
}
