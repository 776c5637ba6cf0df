package links

// Redis keys owned by this package. Every key of one link carries the hash
// tag {CODE} (canonical code), so it shares a Cluster slot with the link's
// stats keys; every index key of one tenant carries {t:TENANT}, so a
// tenant's indexes can be updated in one MULTI.

// changesKey is the change feed: a capped stream of changed codes that
// every instance tails to keep its cache current (see feed.go).
const changesKey = "sg:links:changes"

func linkKey(canonical string) string { return "sg:{" + canonical + "}:link" }

// makeTryKey marks a launch link being made (or tried a moment ago) for a
// link's slot, identified by its fingerprint.
func makeTryKey(canonical, fp string) string { return "sg:{" + canonical + "}:made:try:" + fp }

// scanCountKey counts scans of a link with a scan limit, atomically across
// gateway instances.
func scanCountKey(canonical string) string { return "sg:{" + canonical + "}:n" }

// visitorScansKey counts one visitor's scans of a link with
// max_scans_per_visitor in one period; it expires with the period.
func visitorScansKey(canonical, period string) string {
	return "sg:{" + canonical + "}:pv:" + period
}

func tenantLinksKey(tenant string) string { return "sg:{t:" + tenant + "}:links" }

func campaignLinksKey(tenant, campaign string) string {
	return "sg:{t:" + tenant + "}:c:" + campaign
}

func tagLinksKey(tenant, tag string) string { return "sg:{t:" + tenant + "}:tag:" + tag }

// tenantUpdatedKey lists a tenant's live links by last change, newest
// first (updatedMember); tenantCodesKey by canonical code, for prefix
// search; searchKey those whose title has a token (search.go), newest
// first (indexMember).
func tenantUpdatedKey(tenant string) string { return "sg:{t:" + tenant + "}:upd" }

func tenantCodesKey(tenant string) string { return "sg:{t:" + tenant + "}:codes" }

func searchKey(tenant, token string) string { return "sg:{t:" + tenant + "}:q:" + token }

// searchReadyKey marks a tenant whose links written before search existed
// have been indexed for it (backfill.go).
func searchReadyKey(tenant string) string { return "sg:{t:" + tenant + "}:indexed:3" }
