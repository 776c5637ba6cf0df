package httpapi

import (
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/qr"
)

// TestExportOutlivesWriteTimeout: an export runs longer than the server's
// write timeout as long as the client keeps reading. The export is held
// halfway until that timeout has passed, so the rest of it is written
// after it, however fast the codes render.
func TestExportOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t)
	for i := range 20 {
		e.mustLink(fmt.Sprintf("long-%02d", i), "", "long")
	}
	deadlines := make(chan time.Time, 1)
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.Listener = &deadlineListener{Listener: ts.Listener, first: deadlines}
	ts.Config.WriteTimeout = time.Millisecond
	ts.Start()
	defer ts.Close()
	e.srv.export = func(w io.Writer, items iter.Seq2[qr.Item, error], o qr.Options) error {
		// net/http sets the write timeout's deadline before it calls the
		// handler, on this goroutine: it is there to take.
		var timeout time.Time
		select {
		case timeout = <-deadlines:
		default:
			t.Error("the server set no write deadline before the export began")
		}
		return qr.Export(w, holdAt(10, items, func() { <-time.After(time.Until(timeout)) }), o, nil)
	}
	resp := exportOver(t, ts, e.admin, `{"campaign":"long"}`)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("export = %d, read error %v", resp.StatusCode, err)
	}
	if names, _ := unzip(t, body); len(names) != 20 {
		t.Errorf("zip has %d files, want 20", len(names))
	}
}

// holdAt yields items, calling hold before the one at index i.
func holdAt(i int, items iter.Seq2[qr.Item, error], hold func()) iter.Seq2[qr.Item, error] {
	return func(yield func(qr.Item, error) bool) {
		n := 0
		for it, err := range items {
			if n == i {
				hold()
			}
			n++
			if !yield(it, err) {
				return
			}
		}
	}
}

// deadlineListener passes on the first write deadline set on any of its
// connections: the one net/http sets from Server.WriteTimeout.
type deadlineListener struct {
	net.Listener
	once  sync.Once
	first chan time.Time // holds one
}

func (l *deadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: c, l: l}, nil
}

type deadlineConn struct {
	net.Conn
	l *deadlineListener
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	if !t.IsZero() {
		c.l.once.Do(func() { c.l.first <- t })
	}
	return c.Conn.SetWriteDeadline(t)
}
