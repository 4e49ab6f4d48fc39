package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// waitMain polls until a server answers (HTTP 200 from -url, or a TCP connect to -tcp) and prints the milliseconds
// since -since (Unix nanoseconds, e.g. `date +%s%N` taken just before the server was started): its time to ready.
func waitMain(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	url := fs.String("url", "", "poll until GET answers 200")
	tcp := fs.String("tcp", "", "poll until host:port accepts a connection")
	since := fs.Int64("since", 0, "start time in Unix nanoseconds (default: now)")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	pid := fs.Int("pid", 0, "give up early when this process has exited")
	fs.Parse(args)
	if (*url == "") == (*tcp == "") {
		return errors.New("give exactly one of -url and -tcp")
	}
	start := time.Now()
	if *since > 0 {
		start = time.Unix(0, *since)
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(*timeout)
	for time.Now().Before(deadline) {
		if *url != "" {
			if res, err := client.Get(*url); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
		} else if c, err := net.DialTimeout("tcp", *tcp, time.Second); err == nil {
			c.Close()
			break
		}
		if f := statFields(*pid); *pid > 0 && (len(f) == 0 || f[0] == "Z") {
			return fmt.Errorf("process %d exited before %s%s answered", *pid, *url, *tcp)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("%s%s did not answer within %s", *url, *tcp, *timeout)
	}
	fmt.Printf("%.0f\n", ms(time.Since(start)))
	return nil
}

// freeportMain prints n ports free on 127.0.0.1, all held open until every one is chosen so none repeats.
func freeportMain(args []string) error {
	fs := flag.NewFlagSet("freeport", flag.ExitOnError)
	n := fs.Int("n", 1, "how many ports")
	fs.Parse(args)
	var ports []string
	for i := 0; i < *n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	fmt.Println(strings.Join(ports, " "))
	return nil
}
