// burst fires n concurrent GETs of url with a distinct fg colour each (all
// dark enough to pass the contrast check against white) and
// prints the status counts and the slowest answer.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "")
	n := flag.Int("n", 60, "")
	key := flag.String("key", "", "")
	flag.Parse()
	var mu sync.Mutex
	codes := map[int]int{}
	var slowest time.Duration
	var wg sync.WaitGroup
	for i := 1; i <= *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s&fg=%02x%02x%02x", *url, i, i, 2*i), nil)
			req.Header.Set("Authorization", "Bearer "+*key)
			s := time.Now()
			resp, err := http.DefaultClient.Do(req)
			code := 0
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			d := time.Since(s)
			mu.Lock()
			codes[code]++
			slowest = max(slowest, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("statuses %v, slowest answer %v\n", codes, slowest.Round(time.Millisecond))
}
