package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Target is one server under test, as run.sh started it (one line of the targets file).
type Target struct {
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	ReadyMs     *float64 `json:"ready_ms,omitempty"`
	RSSIdleMiB  float64  `json:"rss_idle_mib"`
	// p50 of the first requests after ready (one at a time, JSON): how far a cold target is from its steady state.
	FirstP50Ms *float64 `json:"first_requests_p50_ms,omitempty"`
	FirstCount int      `json:"first_requests,omitempty"`
	pid        int
	helpers    []int // processes the target needs and that work for it (Redis): CPU reported apart
	headers    []string
}

// Run is one measured run: one target, one load shape, one kind of request, one round.
type Run struct {
	Round  int    `json:"round"`
	Target string `json:"target"`
	Shape  string `json:"shape"` // "seq" (one request at a time) or "c16", "c64" (wrk connections)
	Kind   string `json:"kind"`  // "json" or "sse"
	// Every target on one CPU (Config.PinCPU), the load generator, the stub and Redis on another (Config.LoadCPU).
	Pinned  bool    `json:"pinned,omitempty"`
	Command string  `json:"command,omitempty"`
	Reqs    int     `json:"requests"`
	Seconds float64 `json:"seconds"`
	RPS     float64 `json:"rps"`
	Errors  int     `json:"errors"`
	Error   string  `json:"first_error,omitempty"`
	Latency Pcts    `json:"latency_ms"`
	TTFB    *Pcts   `json:"ttfb_ms,omitempty"`
	// CPU time per request of the target's process tree, of its helpers (Redis) and of the stub upstream, in µs.
	CPUus         float64 `json:"cpu_us_per_req"`
	HelperCPUus   float64 `json:"helper_cpu_us_per_req,omitempty"`
	UpstreamCPUus float64 `json:"upstream_cpu_us_per_req"`
	// Shares of one core: the target's, the stub upstream's and the load generator's CPU over the run's wall time.
	CPUCores         float64 `json:"cpu_cores"`
	UpstreamCPUCores float64 `json:"upstream_cpu_cores"`
	LoadgenCPUCores  float64 `json:"loadgen_cpu_cores"`
	// Busy CPU of the machine not accounted for by any benchmark process, as cores: the noise from others.
	ForeignCPUCores float64 `json:"foreign_cpu_cores"`
	RSSMaxMiB       float64 `json:"rss_max_mib"`
	RSSMeanMiB      float64 `json:"rss_mean_mib"`
}

// Probe checks that a target relays a stream as it comes: the stub pauses between events, so a proxy that buffers
// delivers its first byte only at the end.
type Probe struct {
	Round    int     `json:"round"`
	Target   string  `json:"target"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Error    string  `json:"first_error,omitempty"`
	TTFBp50  float64 `json:"ttfb_p50_ms"`
	TotalP50 float64 `json:"total_p50_ms"`
}

// Raw is everything measure writes and report reads.
type Raw struct {
	Measured string            `json:"measured"` // when the last run ended (UTC, RFC 3339)
	Meta     map[string]string `json:"meta"`
	Config   Config            `json:"config"`
	Targets  []*Target         `json:"targets"`
	Runs     []Run             `json:"runs"`
	Probes   []Probe           `json:"probes"`
	// Long and adversarial prompts, one request at a time (benchtool prompts writes the bodies).
	Prompts    []Prompt    `json:"prompts,omitempty"`
	PromptRuns []PromptRun `json:"prompt_runs,omitempty"`
	// The first requests after a fresh start, one series per fresh sidecar JVM (run.sh, benchtool cold).
	ColdRuns []ColdRun `json:"cold_runs,omitempty"`
}

// Config is how the runs were made.
type Config struct {
	Duration    string   `json:"duration"`
	Warmup      string   `json:"warmup"` // the longest; each target warms up until its throughput is steady
	Rounds      int      `json:"rounds"`
	Shapes      []string `json:"shapes"`
	Kinds       []string `json:"kinds"`
	WrkThreads  int      `json:"wrk_threads"`
	ProbeGapMs  float64  `json:"probe_gap_ms"`
	ProbeCount  int      `json:"probe_count"`
	Cores       int      `json:"cores"`
	RequestSize int      `json:"request_bytes"`
	// Shapes measured a second time pinned: targets on PinCPU, wrk, the sequential client, the stub and Redis on
	// LoadCPU (taskset lists, e.g. "1" and "0").
	PinShapes []string `json:"pinned_shapes,omitempty"`
	PinCPU    string   `json:"pin_cpu,omitempty"`
	LoadCPU   string   `json:"load_cpu,omitempty"`
}

type measurer struct {
	raw         *Raw
	upstreamPid int
	bodies      map[string][]byte
	bodyFiles   map[string]string
	wrk, lua    string
	threads     int
	duration    time.Duration
	settle      time.Duration
	rssEvery    time.Duration
	allPids     []int
	pinned      bool   // the current pass runs pinned: wrk starts under taskset on Config.LoadCPU
	freeCPUs    string // the affinity every process had before pinning, restored after each pinned pass
}

func measureMain(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ExitOnError)
	targetsFile := fs.String("targets", "", "targets file written by run.sh")
	metaFile := fs.String("meta", "", "key<TAB>value lines describing the machine and versions")
	upstreamPid := fs.Int("upstream-pid", 0, "pid of the stub upstream")
	body := fs.String("body", "scripts/bench/request.json", "JSON request body")
	streamBody := fs.String("stream-body", "scripts/bench/request-stream.json", "streaming request body")
	dur := fs.Duration("duration", 5*time.Second, "length of each measured run")
	warm := fs.Duration("warmup", 20*time.Second, "longest warm-up per target and kind (16 connections, until steady)")
	jvmWarm := fs.Duration("jvm-warmup", 60*time.Second, "shortest warm-up of a sidecar-* target's first kind: the JIT "+
		"reaches the policy's generated code only after tens of seconds, and throughput can look steady for a few "+
		"seconds on the way")
	rounds := fs.Int("rounds", 2, "how often the whole interleaved sequence repeats")
	shapes := fs.String("shapes", "seq,c16,c32,c64", "load shapes: seq (one at a time) and cN (wrk with N connections)")
	kinds := fs.String("kinds", "json,sse", "request kinds")
	threads := fs.Int("wrk-threads", 1, "wrk threads")
	wrk := fs.String("wrk", "wrk", "wrk binary")
	lua := fs.String("wrk-lua", "scripts/bench/wrk.lua", "wrk script")
	gap := fs.Duration("probe-gap", 2*time.Millisecond, "pause between SSE events in the buffering probe")
	probeCount := fs.Int("probe-count", 10, "streams per target and round in the buffering probe")
	settle := fs.Duration("settle", 300*time.Millisecond, "pause before each run")
	rssEvery := fs.Duration("rss-interval", 200*time.Millisecond, "RSS sampling interval")
	out := fs.String("out", "", "raw results (JSON)")
	firstCount := fs.Int("first-count", 1000, "requests measured right after ready, before any warm-up")
	promptDir := fs.String("prompts", "", "directory written by `benchtool prompts`: long and adversarial prompts")
	promptCount := fs.Int("prompt-count", 30, "requests per target and prompt")
	promptWarmup := fs.Duration("prompt-warmup", time.Second,
		"unmeasured requests of each prompt to each sidecar first (its long-text paths compile only on long text)")
	pinShapes := fs.String("pin-shapes", "", "shapes measured a second time with every target pinned to -pin-cpu "+
		"and wrk, the sequential client, the stub and the helpers pinned to -load-cpu (empty: none)")
	pinCPU := fs.String("pin-cpu", "1", "CPU list (taskset -c) of the targets in the pinned pass")
	loadCPU := fs.String("load-cpu", "0", "CPU list of the load generator, the stub upstream and helpers when pinned")
	coldFile := fs.String("cold", "", "JSON lines of `benchtool cold`: first requests after fresh starts")
	fs.Parse(args)
	if *targetsFile == "" || *out == "" {
		return errors.New("-targets and -out are required")
	}

	m := &measurer{upstreamPid: *upstreamPid, wrk: *wrk, lua: *lua, threads: *threads, duration: *dur,
		settle: *settle, rssEvery: *rssEvery, bodies: map[string][]byte{}, bodyFiles: map[string]string{}}
	m.raw = &Raw{Meta: map[string]string{}, Config: Config{
		Duration: dur.String(), Warmup: warm.String(), Rounds: *rounds, Shapes: split(*shapes), Kinds: split(*kinds),
		WrkThreads: *threads, ProbeGapMs: ms(*gap), ProbeCount: *probeCount, Cores: runtime.NumCPU(),
		PinShapes: split(*pinShapes)}}
	if len(m.raw.Config.PinShapes) > 0 {
		m.raw.Config.PinCPU, m.raw.Config.LoadCPU = *pinCPU, *loadCPU
		var err error
		if m.freeCPUs, err = affinity(os.Getpid()); err != nil {
			return err
		}
	}
	if *coldFile != "" {
		var err error
		if m.raw.ColdRuns, err = readCold(*coldFile); err != nil {
			return err
		}
	}
	for kind, file := range map[string]string{"json": *body, "sse": *streamBody} {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		m.bodies[kind], m.bodyFiles[kind] = b, file
	}
	m.raw.Config.RequestSize = len(m.bodies["json"])
	if *metaFile != "" {
		if err := readMeta(*metaFile, m.raw.Meta); err != nil {
			return err
		}
	}
	targets, err := readTargets(*targetsFile)
	if err != nil {
		return err
	}
	m.raw.Targets = targets
	m.allPids = []int{m.upstreamPid}
	for _, t := range targets {
		m.allPids = append(m.allPids, tree(t.pid)...)
		m.allPids = append(m.allPids, t.helpers...)
	}

	ctx := context.Background()
	for _, t := range targets {
		t.RSSIdleMiB = float64(rssKiB(tree(t.pid))) / 1024
		// The first requests after ready, before any warm-up: what an app sees while a new pod starts.
		for _, kind := range []string{"json", "sse"} {
			count := 1
			if kind == "json" {
				count = *firstCount
			}
			r := RunSeq(ctx, m.seqOptions(t, kind, 0, count))
			if r.Requests != count {
				return fmt.Errorf("target %s does not answer a %s chat completion correctly at %s: %s (its log is in "+
					"target/bench/%s.log)", t.Name, kind, t.URL, r.FirstError, t.Name)
			}
			if kind == "json" {
				p50 := r.Total.P50
				t.FirstP50Ms, t.FirstCount = &p50, count
				logf("first %d requests %-20s p50 %7.3f ms", count, t.Name, p50)
			}
		}
	}
	for _, t := range targets {
		for _, kind := range m.raw.Config.Kinds {
			minimum := time.Duration(0)
			if strings.HasPrefix(t.Name, "sidecar-") && kind == m.raw.Config.Kinds[0] {
				minimum = *jvmWarm
			}
			if err := m.warmUp(t, kind, minimum, minimum+*warm); err != nil {
				return err
			}
		}
	}
	// Unpinned on every exit, so an error cannot leave a target on one CPU for whatever runs next.
	defer m.pin(false)
	for round := 1; round <= *rounds; round++ {
		if err := m.pass(round, *rounds, m.raw.Config.Shapes, false); err != nil {
			return err
		}
		if contains(m.raw.Config.Kinds, "sse") && *probeCount > 0 {
			for _, t := range targets {
				time.Sleep(m.settle)
				o := m.seqOptions(t, "sse", *gap, *probeCount)
				r := RunSeq(ctx, o)
				p := Probe{Round: round, Target: t.Name, Requests: r.Requests, Errors: r.Errors, Error: r.FirstError,
					TTFBp50: r.TTFB.P50, TotalP50: r.Total.P50}
				m.raw.Probes = append(m.raw.Probes, p)
				logf("round %d/%d probe     %-20s first event %7.3f ms of %7.3f ms (events %s apart)%s", round,
					*rounds, t.Name, p.TTFBp50, p.TotalP50, gap, errorNote(r.Errors, r.FirstError))
			}
		}
		if len(m.raw.Config.PinShapes) > 0 {
			if err := m.pass(round, *rounds, m.raw.Config.PinShapes, true); err != nil {
				return err
			}
		}
	}
	if *promptDir != "" {
		if err := m.measurePrompts(ctx, *promptDir, *promptCount, *promptWarmup); err != nil {
			return err
		}
	}
	m.raw.Measured = time.Now().UTC().Format(time.RFC3339)
	b, _ := json.MarshalIndent(m.raw, "", "  ")
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}

// pass measures every target under each shape and kind once, pinned or with all CPUs.
func (m *measurer) pass(round, rounds int, shapes []string, pinned bool) error {
	if err := m.pin(pinned); err != nil {
		return err
	}
	label := ""
	if pinned {
		label = " pinned to CPU " + m.raw.Config.PinCPU
	}
	for _, shape := range shapes {
		for _, kind := range m.raw.Config.Kinds {
			for _, t := range m.raw.Targets {
				run, err := m.run(t, shape, kind)
				if err != nil {
					return err
				}
				run.Round, run.Pinned = round, pinned
				m.raw.Runs = append(m.raw.Runs, run)
				logf("round %d/%d %-4s %-4s %-20s %8.0f req/s  p50 %7.3f ms  p99 %7.3f ms  cpu %6.1f µs/req  "+
					"rss %5.0f MiB  others %.2f cores%s%s", round, rounds, shape, kind, t.Name, run.RPS,
					run.Latency.P50, run.Latency.P99, run.CPUus, run.RSSMaxMiB, run.ForeignCPUCores,
					errorNote(run.Errors, run.Error), label)
			}
		}
	}
	return m.pin(false)
}

// pin puts every target's process tree (all threads: taskset -a) on Config.PinCPU and this process (the sequential
// client), the stub upstream and the helpers (Redis) on Config.LoadCPU; wrk is started there too. Unpinning restores
// the affinity this process had at the start. `direct` is the stub itself, so it stays with the load generator.
// New threads and processes inherit their parent's affinity, so a JVM's later threads stay pinned as well.
func (m *measurer) pin(on bool) error {
	if m.freeCPUs == "" || on == m.pinned {
		return nil
	}
	target, load := m.freeCPUs, m.freeCPUs
	if on {
		target, load = m.raw.Config.PinCPU, m.raw.Config.LoadCPU
	}
	pids := map[int]string{os.Getpid(): load, m.upstreamPid: load}
	for _, t := range m.raw.Targets {
		for _, pid := range t.helpers {
			pids[pid] = load
		}
		if t.Name == direct {
			continue
		}
		for _, pid := range tree(t.pid) {
			pids[pid] = target
		}
	}
	for pid, cpus := range pids {
		if err := setAffinity(pid, cpus); err != nil {
			return err
		}
	}
	m.pinned = on
	if on {
		logf("pinned: targets on CPU %s; wrk, the sequential client, the stub and helpers on CPU %s", target, load)
	}
	return nil
}

// measurePrompts sends every long and adversarial prompt to `direct` and to each sidecar, one request at a time.
// A refusal (403, 503) or a timeout counts as an error: benign text must pass. Each sidecar first gets each prompt
// for `warmup`, unmeasured: the main runs warm it on short requests only, and 30 requests of a 100 KB prompt
// measured the JIT compiling the long-text paths (the first-1000 column measures warm-up on its own).
func (m *measurer) measurePrompts(ctx context.Context, dir string, count int, warmup time.Duration) error {
	prompts, bodies, err := readPrompts(dir)
	if err != nil {
		return err
	}
	m.raw.Prompts = prompts
	for _, p := range prompts {
		for _, t := range m.raw.Targets {
			if t.Name != direct && !strings.HasPrefix(t.Name, "sidecar-") {
				continue
			}
			if warmup > 0 && t.Name != direct {
				w := m.seqOptions(t, "json", 0, 0)
				w.Body, w.Duration = bodies[p.Name], warmup
				RunSeq(ctx, w)
			}
			time.Sleep(m.settle)
			o := m.seqOptions(t, "json", 0, count)
			o.Body = bodies[p.Name]
			r := RunSeq(ctx, o)
			run := PromptRun{Prompt: p.Name, Target: t.Name, Requests: r.Requests, Errors: r.Errors,
				Error: r.FirstError, P50: r.Total.P50, P99: r.Total.P99}
			m.raw.PromptRuns = append(m.raw.PromptRuns, run)
			logf("prompt %-20s %-20s p50 %8.3f ms  p99 %8.3f ms%s", p.Name, t.Name, run.P50, run.P99,
				errorNote(r.Errors, r.FirstError))
		}
	}
	return nil
}

// warmUp loads a target with 16 connections in short steps for at least minimum, then until its throughput is
// steady (two steps within 10%) or limit has passed: a JVM's JIT needs tens of seconds, nginx none.
func (m *measurer) warmUp(t *Target, kind string, minimum, limit time.Duration) error {
	const step, tolerance = 2 * time.Second, 0.10
	start := time.Now()
	prev := 0.0
	for {
		w, err := m.wrkRun(t, kind, 16, step)
		if err != nil {
			return err
		}
		rps := float64(w.Requests) / w.Seconds
		steady := prev > 0 && rps < prev*(1+tolerance) && rps > prev*(1-tolerance) && time.Since(start) >= minimum
		if steady || time.Since(start)+step > limit {
			note := "steady"
			if !steady {
				note = "NOT steady yet: raise BENCH_WARMUP"
			}
			logf("warm-up %-20s %-4s %5.1fs, last %8.0f req/s (%s)", t.Name, kind, time.Since(start).Seconds(), rps, note)
			return nil
		}
		prev = rps
	}
}

func errorNote(n int, first string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  ERRORS %d (%s)", n, first)
}

func (m *measurer) seqOptions(t *Target, kind string, gap time.Duration, count int) SeqOptions {
	headers := append([]string(nil), t.headers...)
	if gap > 0 {
		headers = append(headers, fmt.Sprintf("%s: %g", GapHeader, ms(gap)))
	}
	expect := []byte(`"usage"`)
	if kind == "sse" {
		expect = []byte("data: [DONE]")
	}
	d := m.duration
	if count > 0 {
		d = time.Minute
	}
	return SeqOptions{URL: t.URL, Body: m.bodies[kind], Headers: headers, Duration: d, MaxCount: count, Expect: expect}
}

// run measures one target under one shape, with CPU and RSS of its process tree sampled around the load.
func (m *measurer) run(t *Target, shape, kind string) (Run, error) {
	time.Sleep(m.settle)
	pids := tree(t.pid)
	run := Run{Target: t.Name, Shape: shape, Kind: kind}

	var rssMax, rssSum, rssN int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(m.rssEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				v := rssKiB(pids)
				rssMax, rssSum, rssN = max(rssMax, v), rssSum+v, rssN+1
			}
		}
	}()

	cpu0, helper0, up0, all0 := cpuTicks(pids), cpuTicks(t.helpers), cpuTicks([]int{m.upstreamPid}), cpuTicks(m.allPids)
	self0 := cpuTicks([]int{os.Getpid()})
	busy0, _ := machineTicks()
	t0 := time.Now()
	var loadgenTicks int64
	if shape == "seq" {
		r := RunSeq(context.Background(), m.seqOptions(t, kind, 0, 0))
		run.Reqs, run.Seconds, run.Errors, run.Error = r.Requests, r.Seconds, r.Errors, r.FirstError
		run.Latency = r.Total
		if kind == "sse" {
			ttfb := r.TTFB
			run.TTFB = &ttfb
		}
		run.Command = fmt.Sprintf("benchtool seq -url %s -body %s -d %s", t.URL, m.bodyFiles[kind], m.duration)
		for _, h := range t.headers {
			run.Command += fmt.Sprintf(" -H '%s'", h)
		}
		if kind == "sse" {
			run.Command += " -expect '[DONE]'"
		}
	} else {
		conns, err := strconv.Atoi(strings.TrimPrefix(shape, "c"))
		if err != nil {
			return run, fmt.Errorf("unknown shape %q: use seq or cN (N connections)", shape)
		}
		w, err := m.wrkRun(t, kind, conns, m.duration)
		if err != nil {
			return run, err
		}
		run.Reqs, run.Seconds, run.Errors, run.Error = w.Requests, w.Seconds, w.Errors, w.firstError()
		run.Latency, run.Command = w.Latency, w.command
		loadgenTicks = w.cpuTicks
	}
	wall := time.Since(t0).Seconds()
	close(stop)
	wg.Wait()
	cpu, helper, up := cpuTicks(pids)-cpu0, cpuTicks(t.helpers)-helper0, cpuTicks([]int{m.upstreamPid})-up0
	all := cpuTicks(m.allPids) - all0
	loadgenTicks += cpuTicks([]int{os.Getpid()}) - self0
	busy1, _ := machineTicks()

	if run.Seconds > 0 {
		run.RPS = float64(run.Reqs) / run.Seconds
	}
	perReq := func(ticks int64) float64 {
		if run.Reqs == 0 {
			return 0
		}
		return float64(ticks) / clockTicks * 1e6 / float64(run.Reqs)
	}
	cores := func(ticks int64) float64 { return float64(ticks) / clockTicks / wall }
	run.CPUus, run.HelperCPUus, run.UpstreamCPUus = perReq(cpu), perReq(helper), perReq(up)
	run.CPUCores, run.UpstreamCPUCores, run.LoadgenCPUCores = cores(cpu), cores(up), cores(loadgenTicks)
	run.ForeignCPUCores = max(0, cores(busy1-busy0-all-loadgenTicks))
	if rssN == 0 {
		rssMax, rssSum, rssN = rssKiB(pids), rssKiB(pids), 1
	}
	run.RSSMaxMiB, run.RSSMeanMiB = float64(rssMax)/1024, float64(rssSum)/float64(rssN)/1024
	return run, nil
}

type wrkResult struct {
	Requests int            `json:"requests"`
	Seconds  float64        `json:"seconds"`
	Errors   int            `json:"errors"`
	ErrKinds map[string]int `json:"error_kinds"`
	Latency  Pcts           `json:"latency_ms"`
	command  string
	cpuTicks int64
}

func (w wrkResult) firstError() string {
	var parts []string
	for k, v := range w.ErrKinds {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
	}
	return strings.Join(parts, ", ")
}

var wrkLine = regexp.MustCompile(`(?m)^BENCH_RESULT (.*)$`)

// wrkRun runs wrk against a target; wrk.lua prints its summary as one JSON line.
func (m *measurer) wrkRun(t *Target, kind string, conns int, d time.Duration) (wrkResult, error) {
	secs := max(1, int((d+time.Second-1)/time.Second))
	threads := min(m.threads, conns)
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(secs) + "s",
		"--timeout", "10s", "--latency", "-s", m.lua, t.URL}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs+30)*time.Second)
	defer cancel()
	name, cmdArgs := m.wrk, args
	if m.pinned {
		name, cmdArgs = "taskset", append([]string{"-c", m.raw.Config.LoadCPU, m.wrk}, args...)
	}
	cmd := exec.CommandContext(ctx, name, cmdArgs...)
	cmd.Env = append(os.Environ(), "BENCH_BODY="+m.bodyFiles[kind], "BENCH_HEADERS="+strings.Join(t.headers, "|"))
	cmd.Stderr = os.Stderr
	outBytes, err := cmd.Output()
	command := fmt.Sprintf("BENCH_BODY=%s BENCH_HEADERS='%s' %s", m.bodyFiles[kind], strings.Join(t.headers, "|"),
		strings.Join(append([]string{name}, cmdArgs...), " "))
	if err != nil {
		return wrkResult{}, fmt.Errorf("%s: %v\n%s", command, err, outBytes)
	}
	match := wrkLine.FindSubmatch(outBytes)
	if match == nil {
		return wrkResult{}, fmt.Errorf("%s printed no BENCH_RESULT line:\n%s", command, outBytes)
	}
	var w wrkResult
	if err := json.Unmarshal(match[1], &w); err != nil {
		return w, fmt.Errorf("wrk.lua's result %s: %v", match[1], err)
	}
	w.command = command
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		w.cpuTicks = int64(cpu.Seconds() * clockTicks)
	}
	return w, nil
}

// readTargets reads run.sh's targets file: name, url, pid, helper pids (comma-separated or -), ready ms (or -),
// extra headers ('|'-separated or -) and a description, tab-separated.
func readTargets(file string) ([]*Target, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var targets []*Target
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 {
			return nil, fmt.Errorf("%s: want 7 tab-separated columns, got %d in %q", file, len(c), line)
		}
		t := &Target{Name: c[0], URL: c[1], Description: c[6]}
		if t.pid, err = strconv.Atoi(c[2]); err != nil {
			return nil, fmt.Errorf("%s: pid %q", file, c[2])
		}
		if c[3] != "-" {
			for _, p := range strings.Split(c[3], ",") {
				pid, err := strconv.Atoi(p)
				if err != nil {
					return nil, fmt.Errorf("%s: helper pid %q", file, p)
				}
				t.helpers = append(t.helpers, pid)
			}
		}
		if c[4] != "-" {
			v, err := strconv.ParseFloat(c[4], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: ready ms %q", file, c[4])
			}
			t.ReadyMs = &v
		}
		if c[5] != "-" {
			t.headers = strings.Split(c[5], "|")
		}
		targets = append(targets, t)
	}
	return targets, sc.Err()
}

func readMeta(file string, into map[string]string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok {
			into[k] = v
		}
	}
	return nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[bench] "+format+"\n", a...)
}
