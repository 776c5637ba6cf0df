package apps

import (
	"regexp"
	"strconv"
)

// What a tenant registers, and how it is checked before anything is stored.

// FieldError is an invalid input, naming its field.
type FieldError struct{ Name, Message string }

func (e *FieldError) Error() string  { return "apps: " + e.Name + ": " + e.Message }
func (e *FieldError) Unwrap() error  { return ErrInvalid }
func (e *FieldError) Field() string  { return e.Name }
func (e *FieldError) Reason() string { return e.Message }

// Input is what a tenant registers for an app.
type Input struct {
	Secret string
	// For WeChat's open tag: a service account (公众号) and the JS-safe
	// domain its JS-SDK is set up for. All three or none.
	ServiceAppID, ServiceSecret, ServiceDomain string
}

var appIDPattern = map[string]*regexp.Regexp{
	WeChat: regexp.MustCompile(`^wx[0-9a-f]{16}$`),
	Douyin: regexp.MustCompile(`^tt[0-9a-f]{16,18}$`),
}

var (
	serviceAppID = regexp.MustCompile(`^wx[0-9a-f]{16}$`)
	domainName   = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// maxSecret bounds a secret's length: WeChat's are 32 hex characters,
// Douyin's 40.
const maxSecret = 128

// ValidPlatform reports whether p names a platform apps can be registered for.
func ValidPlatform(p string) bool { return appIDPattern[p] != nil }

func checkSecret(field, s string) error {
	if s == "" {
		return &FieldError{field, "required"}
	}
	if len(s) > maxSecret {
		return &FieldError{field, "at most " + strconv.Itoa(maxSecret) + " characters"}
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return &FieldError{field, "only visible ASCII characters"}
		}
	}
	return nil
}

// validate checks an app id and its input.
func validate(platform, appID string, in Input) error {
	re := appIDPattern[platform]
	if re == nil {
		return &FieldError{"platform", "must be wechat or douyin"}
	}
	if !re.MatchString(appID) {
		if platform == WeChat {
			return &FieldError{"appid", "a WeChat AppID is wx and 16 lower-case hex digits"}
		}
		return &FieldError{"appid", "a Douyin AppID is tt and 16 to 18 lower-case hex digits"}
	}
	if err := checkSecret("secret", in.Secret); err != nil {
		return err
	}
	service := in.ServiceAppID != "" || in.ServiceSecret != "" || in.ServiceDomain != ""
	switch {
	case service && platform != WeChat:
		return &FieldError{"service_appid", "a service account is for WeChat apps only"}
	case !service:
		return nil
	case !serviceAppID.MatchString(in.ServiceAppID):
		return &FieldError{"service_appid", "a WeChat AppID is wx and 16 lower-case hex digits"}
	case !domainName.MatchString(in.ServiceDomain):
		return &FieldError{"service_domain", "a domain name such as m.example.com, without scheme or path"}
	}
	return checkSecret("service_secret", in.ServiceSecret)
}
