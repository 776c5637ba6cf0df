// Command echoref is the reference scripts/loadtest.sh measures the
// gateway against: the least an echo server can do for a scan, a map
// lookup and a 302 with the same headers as the gateway's redirect, with
// no middleware, no detection and no counting. The gateway's scan path is
// judged by how close it comes to this ceiling of the framework.
//
//	go run ./scripts/echoref 127.0.0.1:18081
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: echoref HOST:PORT")
		os.Exit(2)
	}
	targets := map[string]string{"load01": "https://m.example.com/"}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/s/:code", func(c echo.Context) error {
		to, ok := targets[c.Param("code")]
		if !ok {
			return c.NoContent(http.StatusNotFound)
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Location", to)
		c.Response().WriteHeader(http.StatusFound)
		return nil
	})
	srv := &http.Server{Addr: os.Args[1], Handler: e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "echoref:", err)
		os.Exit(1)
	}
}
