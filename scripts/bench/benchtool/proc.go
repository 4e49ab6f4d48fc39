package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// What a process tree costs, read from /proc: CPU time in clock ticks (utime+stime, every thread) and resident memory.
// A tree, because nginx works in its worker processes, not in its master.

// clockTicks is USER_HZ: 100 on every Linux that matters; /proc/<pid>/stat counts in it.
const clockTicks = 100

// tree returns root and all its live descendants.
func tree(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// statFields returns the fields of /proc/<pid>/stat after the command name: [0] is the state, [1] the parent,
// [11] utime and [12] stime (fields 14 and 15 of proc(5)).
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// cpuTicks is the CPU time used so far by the given processes.
func cpuTicks(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		if f := statFields(pid); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			sum += u + s
		}
	}
	return sum
}

// rssKiB is the resident memory (VmRSS) of the given processes.
func rssKiB(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					v, _ := strconv.ParseInt(f[1], 10, 64)
					sum += v
				}
			}
		}
	}
	return sum
}

// machineTicks returns the busy and total CPU ticks of the whole machine (/proc/stat), to tell how much of a run's
// CPU went to processes that are not part of the benchmark.
func machineTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal guest guest_nice
	for i := 1; i < len(f) && i <= 8; i++ {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		total += v
		if i != 4 && i != 5 {
			busy += v
		}
	}
	return busy, total
}

// affinity is the CPU list a process may run on (taskset -c -p), e.g. "0,1" or "0-3".
func affinity(pid int) (string, error) {
	out, err := exec.Command("taskset", "-c", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return "", fmt.Errorf("taskset -c -p %d: %v (taskset is in util-linux)", pid, err)
	}
	_, list, ok := strings.Cut(strings.TrimSpace(string(out)), ": ")
	if !ok {
		return "", fmt.Errorf("taskset -c -p %d printed %q", pid, out)
	}
	return list, nil
}

// setAffinity puts every thread of a process on the CPU list cpus (taskset -a -c -p). A process that has exited
// in the meantime is not an error.
func setAffinity(pid int, cpus string) error {
	out, err := exec.Command("taskset", "-a", "-c", "-p", cpus, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		if _, gone := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(gone) {
			return nil
		}
		return fmt.Errorf("taskset -a -c -p %s %d: %v: %s", cpus, pid, err, out)
	}
	return nil
}
