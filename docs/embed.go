// Package docs holds the documents the gateway serves as they are: the
// OpenAPI reference of its HTTP API (GET /api/v1/openapi.yaml).
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
