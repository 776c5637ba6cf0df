package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// LoadConfig reads path (when not empty) over the defaults, then the
// environment over that, and validates the result.
func LoadConfig(path string, environ []string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

const envPrefix = "SCANGATE_"

// applyEnv overrides each field from SCANGATE_<YAML PATH>. Unknown
// SCANGATE_ variables are an error, so a typo cannot silently do nothing.
func applyEnv(cfg *Config, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, envPrefix) && k != "SCANGATE_CONFIG" {
			env[k] = v
		}
	}
	var problems []string
	walkFields(reflect.ValueOf(cfg).Elem(), "", func(path string, f reflect.Value) {
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
		v, ok := env[name]
		if !ok {
			return
		}
		delete(env, name)
		if err := setFromString(f, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	})
	for name := range env {
		problems = append(problems, fmt.Sprintf("%s: unknown variable (no such configuration key)", name))
	}
	if len(problems) > 0 {
		return fmt.Errorf("environment:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func walkFields(v reflect.Value, prefix string, fn func(path string, f reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		path := tag
		if prefix != "" {
			path = prefix + "." + tag
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			walkFields(f, path, fn)
			continue
		}
		fn(path, f)
	}
}

func setFromString(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("not a duration like 10s or 2m: %q", s)
		}
		f.SetInt(int64(d))
		return nil
	case []string:
		f.Set(reflect.ValueOf(splitList(s)))
		return nil
	case map[string]string:
		m := map[string]string{}
		for _, kv := range splitList(s) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("want name=value pairs separated by commas, got %q", kv)
			}
			m[k] = v
		}
		f.Set(reflect.ValueOf(m))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || f.OverflowInt(n) {
			return fmt.Errorf("not a whole number: %q", s)
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("not a number: %q", s)
		}
		f.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not true or false: %q", s)
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var verificationName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
