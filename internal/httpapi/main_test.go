package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apitest"
	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/redistest"
	"github.com/scangate/scangate/internal/stats"
)

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{}, &redisSrv) }

// testEnv is a gateway on a flushed Redis with an admin and a viewer key
// for tenant acme and an admin key for tenant globex.
type testEnv struct {
	t                          testing.TB
	srv                        *Server
	rdb                        *redis.Client
	links                      *links.Store
	recorder                   *stats.Recorder
	admin, viewer, otherTenant string
}

func newEnv(t testing.TB, configure ...func(*Config)) *testEnv {
	t.Helper()
	rdb := redisSrv.Client(t)
	ls := links.NewStore(rdb, links.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := ls.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	keys := auth.NewStore(rdb)
	sc := stats.DefaultConfig()
	sc.VisitorSecret = []byte("test-visitor-secret-of-32-bytes!")
	rec, err := stats.NewRecorder(rdb, sc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec.Start()
	t.Cleanup(func() { rec.Close(context.Background()) })
	cfg := Config{
		PublicBaseURL:     "https://gw.example.com",
		VerificationFiles: map[string]string{"MP_verify_abc123": "abc123content"},
		QRUppercase:       false, MaxConcurrentExports: 2,
	}
	for _, f := range configure {
		f(&cfg)
	}
	sealer, err := apps.NewSealer(bytes.Repeat([]byte{7}, apps.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	querier := stats.NewQuerier(rdb, sc)
	ls.SetRanker(querier)
	ls.SetLimits(func(tenant string) links.Limits { return cfg.Quotas.Of(tenant).Stored })
	srv, err := New(cfg, Deps{
		Links: ls, Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QRCache: qr.NewCache(64<<20, nil),
		Recorder: rec, Stats: querier, Apps: apps.NewStore(rdb, sealer),
		Ready: func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(tenant string, role auth.Role) string {
		s, _, err := keys.Create(context.Background(), tenant, role)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return &testEnv{t: t, srv: srv, rdb: rdb, links: ls, recorder: rec,
		admin: mk("acme", auth.RoleAdmin), viewer: mk("acme", auth.RoleViewer), otherTenant: mk("globex", auth.RoleAdmin)}
}

// drainStats stops the recorder, which writes every queued event to Redis:
// after it, stats read back exactly what the requests recorded.
func (e *testEnv) drainStats() {
	e.t.Helper()
	if err := e.recorder.Close(context.Background()); err != nil {
		e.t.Fatalf("drain stats: %v", err)
	}
}

// do sends a request through the real handler.
func (e *testEnv) do(method, path, key, contentType, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	apitest.Check(e.t, req, []byte(body), rec.Code, rec.Header(), rec.Body.Bytes())
	return rec
}

func (e *testEnv) json(method, path, key, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(method, path, key, "application/json", body)
}

// errorOf decodes an API error body, failing the test if it is not one.
func errorOf(t testing.TB, rec *httptest.ResponseRecorder) apiErrorBody {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("body is not an API error: %s", rec.Body.String())
	}
	return e.Error
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body.String(), err)
	}
	return v
}

func httptestRequest(method, path, ua, remoteAddr string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("User-Agent", ua)
	req.RemoteAddr = remoteAddr
	return req
}

func discard() *discardWriter { return &discardWriter{h: http.Header{}} }
