package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/douyin"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/stats"
	"github.com/scangate/scangate/internal/strictjson"
	"github.com/scangate/scangate/internal/wechat"
)

// Errors raised by this package itself.
var (
	errUnauthorized     = errors.New("missing or unknown API key")
	errForbidden        = errors.New("this API key may only read")
	errAdminOnly        = errors.New("this needs an admin API key")
	errBodyTooLarge     = errors.New("request body too large")
	errUnsupportedMT    = errors.New("unsupported media type")
	errRateLimited      = errors.New("rate limited")
	errAuthFailures     = errors.New("too many failed authentications from your address; retry later")
	errNotFound         = errors.New("not found")
	errStoreUnavailable = errors.New("store unavailable")
	errBusy             = errors.New("the gateway is busy")
	errExportBusy       = errors.New("too many exports are running; retry later")
)

// storeRetryAfter is the Retry-After of answers the store's absence made a
// 503: long enough for a failover, short enough for a customer waiting.
const storeRetryAfter = "2"

// apiError is the JSON body of every error from /api/.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// fielder is implemented by every domain package's validation error, and
// only by those: an error that names a field is a 422. Reason is the
// message written for clients, without the package prefixes and context
// that wrapping adds.
type fielder interface {
	Field() string
	Reason() string
}

// classify is the one place where an error becomes a status and a message
// safe to show. Anything it does not recognise is internal: the client sees
// a generic message and the access log gets the real error.
func classify(err error) (int, apiErrorBody) {
	var fe fielder
	var he *echo.HTTPError
	var we *wechat.APIError
	var de *douyin.APIError
	var se *strictjson.Error
	var lim *links.LimitError
	var up *unknownParam
	var qe *quotaError
	var sq *links.QuotaError
	switch {
	case errors.As(err, &qe):
		return http.StatusTooManyRequests, apiErrorBody{"quota_exceeded", qe.Error(), qe.q.Name}
	case errors.As(err, &sq):
		return http.StatusUnprocessableEntity, apiErrorBody{"quota_exceeded", sq.Error(), sq.Name}
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed, apiErrorBody{"method_not_allowed", errMethodNotAllowed.Error(), ""}
	case errors.As(err, &up):
		return http.StatusBadRequest, apiErrorBody{"unknown_parameter", up.Error(), up.name}
	case errors.As(err, &se):
		if se.Syntax || se.Field == "" {
			return http.StatusBadRequest, apiErrorBody{"malformed", se.Message, ""}
		}
		return http.StatusUnprocessableEntity, apiErrorBody{"invalid", se.Field + ": " + se.Message, se.Field}
	case errors.As(err, &fe):
		return http.StatusUnprocessableEntity, apiErrorBody{"invalid", fe.Field() + ": " + fe.Reason(), fe.Field()}
	case errors.As(err, &lim):
		return http.StatusUnprocessableEntity, apiErrorBody{"invalid", lim.Reason(), ""}
	case errors.Is(err, links.ErrInvalid), errors.Is(err, auth.ErrInvalid), errors.Is(err, qr.ErrInvalid):
		return http.StatusUnprocessableEntity, apiErrorBody{"invalid", safeMessage(err), ""}
	case errors.Is(err, apps.ErrInvalid):
		return http.StatusUnprocessableEntity, apiErrorBody{"invalid", safeMessage(err), ""}
	case errors.Is(err, links.ErrMalformed):
		return http.StatusBadRequest, apiErrorBody{"malformed", safeMessage(err), ""}
	case errors.Is(err, links.ErrNotFound), errors.Is(err, auth.ErrNotFound), errors.Is(err, apps.ErrNotFound),
		errors.Is(err, errNotFound):
		return http.StatusNotFound, apiErrorBody{"not_found", "not found", ""}
	case errors.Is(err, links.ErrInTrash):
		return http.StatusConflict, apiErrorBody{"code_in_trash", "this code is in your trash: restore it (POST /api/v1/links/{code}/restore), or purge it (DELETE /api/v1/links/{code}?purge=true) to create it again", "code"}
	case errors.Is(err, links.ErrExists):
		return http.StatusConflict, apiErrorBody{"code_taken", "code taken", "code"}
	case errors.Is(err, apps.ErrTaken):
		return http.StatusConflict, apiErrorBody{"app_taken", "this app id is registered to another tenant", "appid"}
	case errors.Is(err, apps.ErrNoKey):
		return http.StatusServiceUnavailable, apiErrorBody{"secrets_key_missing", apps.ErrNoKey.Error(), ""}
	case errors.Is(err, errReadOnly):
		return http.StatusServiceUnavailable, apiErrorBody{"read_only", errReadOnly.Error(), ""}
	case errors.Is(err, errNoApps):
		return http.StatusServiceUnavailable, apiErrorBody{"apps_unavailable", errNoApps.Error(), ""}
	case errors.Is(err, apps.ErrRefused):
		return http.StatusUnprocessableEntity, apiErrorBody{"app_credentials_refused",
			"the platform refused the app's credentials; see GET /api/v1/apps and PUT the right secret", ""}
	case errors.As(err, &we):
		return wechatError(we)
	case errors.As(err, &de):
		return http.StatusBadGateway, apiErrorBody{"douyin_error", "Douyin answered " + strconv.Itoa(de.Code) + ": " + de.Message, ""}
	case errors.Is(err, wechat.ErrUnavailable), errors.Is(err, douyin.ErrUnavailable):
		return http.StatusBadGateway, apiErrorBody{"platform_unavailable", "the platform's API could not be reached or answered badly; retry later", ""}
	case errors.Is(err, apps.ErrBusy):
		return http.StatusServiceUnavailable, apiErrorBody{"busy", "the platform token is being fetched; retry in a moment", ""}
	case errors.Is(err, links.ErrConflict):
		return http.StatusConflict, apiErrorBody{"conflict", "the link changed concurrently; retry", ""}
	case errors.Is(err, errConversionAuth):
		return http.StatusUnauthorized, apiErrorBody{"unauthorized", errConversionAuth.Error(), ""}
	case errors.Is(err, errBadSignature), errors.Is(err, errStaleSignature), errors.Is(err, errBadSignatureHeader):
		return http.StatusUnauthorized, apiErrorBody{"bad_signature", safeMessage(err), ""}
	case errors.Is(err, errReplayed):
		return http.StatusConflict, apiErrorBody{"replayed", errReplayed.Error(), ""}
	case errors.Is(err, errUnauthorized), errors.Is(err, auth.ErrUnauthorized):
		return http.StatusUnauthorized, apiErrorBody{"unauthorized", "missing or unknown API key: send Authorization: Bearer <key>", ""}
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, apiErrorBody{"forbidden", errForbidden.Error(), ""}
	case errors.Is(err, errAdminOnly):
		return http.StatusForbidden, apiErrorBody{"forbidden", errAdminOnly.Error(), ""}
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge, apiErrorBody{"body_too_large", safeMessage(err), ""}
	case errors.Is(err, errUnsupportedMT):
		return http.StatusUnsupportedMediaType, apiErrorBody{"unsupported_media_type", safeMessage(err), ""}
	case errors.Is(err, errInactive):
		return http.StatusGone, apiErrorBody{"inactive", errInactive.Error(), ""}
	case errors.Is(err, errBusy):
		return http.StatusServiceUnavailable, apiErrorBody{"busy", "the gateway is busy; retry in a moment", ""}
	case errors.Is(err, qr.ErrBusy):
		return http.StatusServiceUnavailable, apiErrorBody{"busy", "every QR render slot is taken by large images; retry in a moment", ""}
	case errors.Is(err, errTenantExportBusy):
		return http.StatusTooManyRequests, apiErrorBody{"export_busy", errTenantExportBusy.Error(), ""}
	case errors.Is(err, errExportBusy):
		return http.StatusServiceUnavailable, apiErrorBody{"busy", errExportBusy.Error(), ""}
	case errors.Is(err, errAuthFailures):
		return http.StatusTooManyRequests, apiErrorBody{"rate_limited", errAuthFailures.Error(), ""}
	case errors.Is(err, errRateLimited):
		return http.StatusTooManyRequests, apiErrorBody{"rate_limited", "too many requests; retry later", ""}
	case errors.As(err, &he):
		return he.Code, apiErrorBody{httpCode(he.Code), http.StatusText(he.Code), ""}
	case errors.Is(err, links.ErrUnavailable), errors.Is(err, auth.ErrUnavailable), errors.Is(err, stats.ErrUnavailable),
		errors.Is(err, apps.ErrUnavailable), isUnavailable(err):
		return http.StatusServiceUnavailable, apiErrorBody{"store_unavailable", "the data store is unavailable; retry shortly", ""}
	}
	return http.StatusInternalServerError, apiErrorBody{"internal", "internal error", ""}
}

// wechatError turns WeChat's answer into ours: what the merchant can fix is
// a 422 with WeChat's code, its rate limits a 503, anything else a 502.
func wechatError(e *wechat.APIError) (int, apiErrorBody) {
	msg := "WeChat answered " + strconv.Itoa(e.Code) + ": " + e.Message
	switch e.Code {
	case wechat.CodeNoPage, wechat.CodeBadPagePath:
		return http.StatusUnprocessableEntity, apiErrorBody{"wechat_refused", msg +
			" (the page is not in the published mini program; check_path=false allows an unpublished one)", ""}
	case wechat.CodeNotPublished, wechat.CodeInvalidAppID, wechat.CodeBadSecret, wechat.CodeIPNotAllowed, 40169:
		return http.StatusUnprocessableEntity, apiErrorBody{"wechat_refused", msg, ""}
	case wechat.CodeRateLimited, 44990, 44993:
		return http.StatusServiceUnavailable, apiErrorBody{"busy", msg + "; retry later", ""}
	}
	return http.StatusBadGateway, apiErrorBody{"wechat_error", msg, ""}
}

// safeMessage returns the text of errors whose messages are written for
// clients (validation and decoding); the classify cases above only call it
// for those.
func safeMessage(err error) string { return err.Error() }

func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusBadRequest:
		return "malformed"
	case http.StatusUnauthorized:
		return "unauthorized"
	}
	return "error"
}

// isUnavailable recognises a store that cannot be reached: network errors,
// refused or reset connections, a closed client, timeouts.
func isUnavailable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, errStoreUnavailable)
}
