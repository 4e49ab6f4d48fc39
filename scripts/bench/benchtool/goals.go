package main

import (
	"fmt"
	"math"
	"strings"
)

// Issue 19's targets as the report checks them: throughput and added latency against nginx at 32 connections
// (item 3), CPU per request with all CPUs and on one CPU (item 5), and the first requests after a fresh start
// against the steady state (item 4). The issue sets targets for the sidecar only; the other proxies are shown for
// comparison, without a verdict.

const (
	versusShape = "c32"
	minVsNginx  = 0.45 // the sidecar's req/s at least this fraction of nginx's
	p50Factor   = 2.0  // the sidecar's added p50 at most p50Factor × nginx's added p50 + p50SlackMs
	p50SlackMs  = 0.3
	// The first requests after a fresh start: the first 16 long prompts, and requests 100-300 of short ones.
	cold100kMaxMs   = 10.0
	cold400kMaxMs   = 25.0
	coldVsSteady    = 1.5
	series100k      = "source-100k"
	series400k      = "source-400k"
	seriesShortJSON = "short-json"
	seriesShortSSE  = "short-sse"
)

// Versus is one proxy against nginx under one shape and kind, all processes unlimited.
type Versus struct {
	Target        string  `json:"target"`
	Kind          string  `json:"kind"`
	Shape         string  `json:"shape"`
	Errors        int     `json:"errors"`
	RPS           float64 `json:"rps"`
	VsNginx       float64 `json:"rps_vs_nginx"`
	AddedP50      float64 `json:"added_p50_ms"`
	NginxAddedP50 float64 `json:"nginx_added_p50_ms"`
	LimitP50      float64 `json:"added_p50_limit_ms"` // p50Factor × max(0, nginx's) + p50SlackMs
	// Only for sidecar-* targets.
	RPSMet *bool `json:"rps_target_met,omitempty"`
	P50Met *bool `json:"added_p50_target_met,omitempty"`
}

func isSidecar(name string) bool { return strings.HasPrefix(name, "sidecar-") }

func versusNginx(rep *Report, shape string) []Versus {
	rows := map[string]Row{}
	for _, r := range rep.Summary {
		if !r.Pinned && r.Shape == shape {
			rows[r.Target+"/"+r.Kind] = r
		}
	}
	var out []Versus
	for _, kind := range rep.Config.Kinds {
		ng, ok := rows[nginx+"/"+kind]
		if !ok || ng.AddedP50 == nil || ng.RPS == 0 {
			continue
		}
		for _, t := range rep.Targets {
			r, ok := rows[t.Name+"/"+kind]
			if !ok || t.Name == direct || r.AddedP50 == nil {
				continue
			}
			// nginx can beat direct on SSE (it coalesces events): a negative floor would make the limit unreachable.
			v := Versus{Target: t.Name, Kind: kind, Shape: shape, Errors: r.Errors, RPS: r.RPS, VsNginx: r.RPS / ng.RPS,
				AddedP50: *r.AddedP50, NginxAddedP50: *ng.AddedP50,
				LimitP50: p50Factor*math.Max(0, *ng.AddedP50) + p50SlackMs}
			if isSidecar(t.Name) {
				rpsMet := v.VsNginx >= minVsNginx && r.Errors == 0
				p50Met := v.AddedP50 <= v.LimitP50 && r.Errors == 0
				v.RPSMet, v.P50Met = &rpsMet, &p50Met
			}
			out = append(out, v)
		}
	}
	return out
}

// ColdRow is one series after a fresh start, its latencies added over the same requests to `direct`.
type ColdRow struct {
	Target      string   `json:"target"`
	Series      string   `json:"series"`
	Kind        string   `json:"kind"`
	Bytes       int      `json:"request_bytes"`
	ReadyMs     *float64 `json:"ready_ms,omitempty"`
	FirstMs     float64  `json:"first_request_ms,omitempty"`
	FirstN      int      `json:"first_n"`
	From        int      `json:"window_from"`
	To          int      `json:"window_to"`
	FirstAdded  *float64 `json:"first_n_added_p50_ms,omitempty"`
	WindowAdded *float64 `json:"window_added_p50_ms,omitempty"`
	SteadyAdded *float64 `json:"steady_added_p50_ms,omitempty"`
	Goal        string   `json:"target_rule,omitempty"`
	Met         *bool    `json:"target_met,omitempty"`
	Error       string   `json:"error,omitempty"`
}

func coldRows(rep *Report) []ColdRow {
	base := map[string]ColdRun{}
	for _, c := range rep.ColdRuns {
		if c.Target == direct {
			base[c.Series] = c
		}
	}
	seq := map[string]Row{}
	for _, r := range rep.Summary {
		if !r.Pinned && r.Shape == "seq" {
			seq[r.Target+"/"+r.Kind] = r
		}
	}
	prompt := map[string]PromptRun{}
	for _, r := range rep.PromptRuns {
		prompt[r.Prompt+"/"+r.Target] = r
	}
	var out []ColdRow
	for _, t := range rep.Targets {
		for _, c := range rep.ColdRuns {
			if c.Target != t.Name || c.Target == direct {
				continue
			}
			row := ColdRow{Target: c.Target, Series: c.Series, Kind: c.Kind, Bytes: c.Bytes, ReadyMs: c.ReadyMs,
				FirstMs: c.FirstMs, FirstN: c.FirstN, From: c.From, To: c.To}
			b, hasBase := base[c.Series]
			switch {
			case c.Errors > 0 || c.Requests == 0 || c.FirstNP50 == 0:
				row.Error = fmt.Sprintf("%d of the requests failed: %s", c.Errors, shortError(c.Error))
			case !hasBase || b.Errors > 0 || b.FirstNP50 == 0:
				row.Error = "no unbroken series to `direct` to subtract"
			default:
				first := c.FirstNP50 - b.FirstNP50
				row.FirstAdded = &first
				if c.WindowP50 > 0 && b.WindowP50 > 0 {
					w := c.WindowP50 - b.WindowP50
					row.WindowAdded = &w
				}
			}
			switch c.Series {
			case seriesShortJSON, seriesShortSSE:
				if r, ok := seq[c.Target+"/"+c.Kind]; ok && r.AddedP50 != nil {
					v := *r.AddedP50
					row.SteadyAdded = &v
				}
			default:
				r, ok1 := prompt[c.Series+"/"+c.Target]
				d, ok2 := prompt[c.Series+"/"+direct]
				if ok1 && ok2 && r.Requests > 0 && d.Requests > 0 {
					v := r.P50 - d.P50
					row.SteadyAdded = &v
				}
			}
			var met bool
			judged := false
			switch c.Series {
			case series100k, series400k:
				limit := cold100kMaxMs
				if c.Series == series400k {
					limit = cold400kMaxMs
				}
				row.Goal = fmt.Sprintf("first %d ≤ %g ms", c.FirstN, limit)
				if row.FirstAdded != nil {
					met, judged = *row.FirstAdded <= limit, true
				}
			case seriesShortJSON, seriesShortSSE:
				row.Goal = fmt.Sprintf("%d–%d ≤ %g× steady", c.From, c.To, coldVsSteady)
				if row.WindowAdded != nil && row.SteadyAdded != nil {
					// A steady cost under zero (noise) is taken as zero: the window must then add nothing either.
					met, judged = *row.WindowAdded <= coldVsSteady*math.Max(0, *row.SteadyAdded), true
				}
			}
			if judged {
				row.Met = &met
			}
			out = append(out, row)
		}
	}
	return out
}

func verdict(met *bool) string {
	switch {
	case met == nil:
		return "—"
	case *met:
		return "met"
	default:
		return "**missed**"
	}
}

func fmtAddedOr(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmtAdded(v)
}

func writeVersus(w func(string, ...any), rep *Report) {
	if len(rep.VersusNginx) == 0 {
		return
	}
	w("### %s connections against nginx (issue 19, item 3)\n\n", strings.TrimPrefix(versusShape, "c"))
	w("All processes unlimited (the _%s connections_ runs above). _× nginx_ is the target's req/s over nginx's; "+
		"_added p50_ is over `direct`. The sidecar's targets: at least %.2f× nginx's req/s, and an added p50 of at "+
		"most %g × nginx's added p50 + %g ms (nginx's taken as 0 when it is below `direct`). The other proxies are "+
		"there for comparison. A run with errors misses both.\n\n", strings.TrimPrefix(versusShape, "c"), minVsNginx,
		p50Factor, p50SlackMs)
	w("| Target | Kind | req/s | × nginx | ≥ %.2f× | Added p50 | nginx's added p50 | Limit | Added p50 ≤ limit |\n",
		minVsNginx)
	w("|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range rep.VersusNginx {
		rps := fmt.Sprintf("%.0f", v.RPS)
		if v.Errors > 0 {
			rps += fmt.Sprintf(" (%d errors)", v.Errors)
		}
		limit := "—"
		if v.P50Met != nil {
			limit = fmtMs(v.LimitP50)
		}
		w("| `%s` | %s | %s | %.2f× | %s | %s | %s | %s | %s |\n", v.Target, strings.ToUpper(v.Kind), rps, v.VsNginx,
			verdict(v.RPSMet), fmtAdded(&v.AddedP50), fmtAdded(&v.NginxAddedP50), limit, verdict(v.P50Met))
	}
	w("\n")
}

func writePinned(w func(string, ...any), rep *Report) {
	if len(rep.Config.PinShapes) == 0 {
		return
	}
	free, pinned := map[string]Row{}, map[string]Row{}
	for _, r := range rep.Summary {
		k := r.Target + "/" + r.Shape + "/" + r.Kind
		if r.Pinned {
			pinned[k] = r
		} else {
			free[k] = r
		}
	}
	w("### CPU per request: all CPUs and one CPU (issue 19, item 5)\n\n")
	w("Each shape of `BENCH_PINNED_SHAPES` (%s) runs twice per round: once with every process free to use all %d "+
		"cores (the tables above), once pinned, with every target's process tree (all its threads: "+
		"`taskset -a -c -p %s`) on CPU %s, and wrk, benchtool's sequential client, the stub upstream and Redis on CPU "+
		"%s. The targets are started and warmed once; the pinning is switched between passes, and new threads "+
		"inherit it. `direct` is the stub itself, so pinned it shares CPU %s with wrk: no baseline for an added latency "+
		"here, hence plain p50s. CPU / req is the target's "+
		"own process tree (Redis's share apart), so the ratios compare work per request rather than cores.\n\n",
		strings.Join(rep.Config.PinShapes, ", "), rep.Config.Cores, rep.Config.PinCPU, rep.Config.PinCPU,
		rep.Config.LoadCPU, rep.Config.LoadCPU)
	w("| Target | Shape | Kind | CPU / req, all CPUs | CPU / req, 1 CPU | req/s, all CPUs | req/s, 1 CPU | " +
		"× nginx, 1 CPU | p50, 1 CPU |\n")
	w("|---|---|---|---|---|---|---|---|---|\n")
	for _, shape := range rep.Config.PinShapes {
		for _, kind := range rep.Config.Kinds {
			for _, t := range rep.Targets {
				k := t.Name + "/" + shape + "/" + kind
				p, ok := pinned[k]
				if !ok {
					continue
				}
				f, hasFree := free[k]
				freeCPU, freeRPS := "—", "—"
				if hasFree {
					freeCPU, freeRPS = fmtCPU(f), fmtRPS(f)
				}
				vs := "—"
				if p.VsNginx != nil {
					vs = fmt.Sprintf("%.2f×", *p.VsNginx)
				}
				w("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", t.Name, shape, strings.ToUpper(kind),
					freeCPU, fmtCPU(p), freeRPS, fmtRPS(p), vs, fmtMs(p.P50))
			}
		}
	}
	w("\n")
}

func writeCold(w func(string, ...any), rep *Report) {
	if len(rep.ColdStart) == 0 {
		return
	}
	c0 := rep.ColdStart[0]
	w("### The first requests after a fresh start (issue 19, item 4)\n\n")
	w("Before the other targets start, run.sh starts a fresh sidecar JVM for each series and mode (the same jar, "+
		"AOT cache and flags as the measured targets; it has served nothing but the readiness probe), sends the "+
		"series one request at a time and stops the JVM: so each series is the first traffic its JVM sees, and the "+
		"targets measured afterwards are separate JVMs. The series are the 100 KiB and 400 KiB source prompts of "+
		"the long-prompt table (JSON), and the short JSON and SSE requests of the other tables. _First %d_ is the "+
		"p50 of requests 1–%d, _%d–%d_ of requests %d–%d (1-based); both are added over the same requests of the "+
		"same series sent to `direct`. _Steady_ is the added p50 after warm-up: the long-prompt table for the "+
		"prompts, _One request at a time_ for the short requests. Targets: 100 KiB first %d ≤ %g ms, 400 KiB ≤ %g "+
		"ms; requests %d–%d ≤ %g× steady for short JSON and SSE.\n\n", c0.FirstN, c0.FirstN, c0.From, c0.To, c0.From,
		c0.To, c0.FirstN, cold100kMaxMs, cold400kMaxMs, c0.From, c0.To, coldVsSteady)
	w("| Target | Series | Kind | Request | Ready | First request | First %d | Requests %d–%d | Steady | Target | "+
		"Met? |\n", c0.FirstN, c0.From, c0.To)
	w("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.ColdStart {
		ready := "—"
		if r.ReadyMs != nil {
			ready = fmt.Sprintf("%.0f ms", *r.ReadyMs)
		}
		first, window := fmtAddedOr(r.FirstAdded), fmtAddedOr(r.WindowAdded)
		if r.Error != "" {
			first = "**" + strings.ReplaceAll(r.Error, "|", "\\|") + "**"
		}
		firstReq := "—"
		if r.FirstMs > 0 {
			firstReq = fmtMs(r.FirstMs)
		}
		w("| `%s` | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Target, r.Series, strings.ToUpper(r.Kind),
			fmtBytes(r.Bytes), ready, firstReq, first, window, fmtAddedOr(r.SteadyAdded), r.Goal, verdict(r.Met))
	}
	w("\n_First request_ is the whole time of request 1 (not added), ready the JVM's time from start to ready.\n\n")
}

func fmtBytes(n int) string {
	if n >= 10<<10 {
		return fmt.Sprintf("%.0f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%d B", n)
}
