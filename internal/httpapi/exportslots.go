package httpapi

import (
	"errors"
	"sync"
	"time"
)

// errTenantExportBusy: the tenant runs as many exports as it may already.
var errTenantExportBusy = errors.New("your exports already running use every slot a tenant may hold; retry when one ends")

// exportSlots bounds the exports (QR batches and link exports) running at
// once: in all, and per tenant, so that one tenant's exports never leave
// the others none.
type exportSlots struct {
	mu        sync.Mutex
	total     int
	perTenant int
	running   int
	byTenant  map[string]int
}

func newExportSlots(total, perTenant int) *exportSlots {
	return &exportSlots{total: max(total, 1), perTenant: max(perTenant, 1), byTenant: map[string]int{}}
}

// take holds a slot for tenant, or says why not: errTenantExportBusy
// (429) before errExportBusy (503), since the tenant can act on the first.
func (e *exportSlots) take(tenant string) (release func(), err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.byTenant[tenant] >= e.perTenant:
		return nil, errTenantExportBusy
	case e.running >= e.total:
		return nil, errExportBusy
	}
	e.running++
	e.byTenant[tenant]++
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.running--
			if e.byTenant[tenant]--; e.byTenant[tenant] == 0 {
				delete(e.byTenant, tenant)
			}
		})
	}, nil
}

// exportGrace is how long an export's client may take it at any pace
// before the minimum rate applies: a slow start (a PDF is drawn whole
// before its first byte, a zip's first images render) is not a slow client.
const exportGrace = 30 * time.Second
