// lat sends GET requests at a fixed rate and prints latency percentiles.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "")
	rate := flag.Int("rate", 200, "requests per second")
	dur := flag.Duration("d", 10*time.Second, "")
	ua := flag.String("ua", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1", "")
	flag.Parse()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	cl := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var mu sync.Mutex
	var lats []time.Duration
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	end := time.Now().Add(*dur)
	for time.Now().Before(end) {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", *url, nil)
			req.Header.Set("User-Agent", *ua)
			s := time.Now()
			resp, err := cl.Do(req)
			d := time.Since(s)
			if err == nil {
				resp.Body.Close()
			}
			mu.Lock()
			lats = append(lats, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p := func(q float64) time.Duration { return lats[int(q*float64(len(lats)-1))] }
	fmt.Printf("n=%d p50=%v p90=%v p99=%v max=%v\n", len(lats), p(0.5), p(0.9), p(0.99), lats[len(lats)-1])
}
