package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/scangate/scangate/internal/auth"
)

// user manages console users: create (printing a one-time link to set a
// password), list, disable, and reset (a new link).
func user(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("user needs a command: create, list, disable or reset")
	}
	sub, args := args[0], args[1:]
	var tenant, email, role *string
	var keepKeys *bool
	cfg, _, err := commandConfig("user "+sub, args, environ, stderr, func(fs *flag.FlagSet) {
		tenant = fs.String("tenant", "", "tenant the user belongs to (create; list: only this tenant's)")
		email = fs.String("email", "", "the user's email address (create, disable, reset)")
		role = fs.String("role", string(auth.RoleAdmin), "admin (read and write) or viewer (read only) (create)")
		keepKeys = fs.Bool("keep-keys", false, "keep the API keys the user made in the console (disable; by default they are revoked)")
	})
	if err != nil {
		return err
	}
	users, closeRedis, err := commandAuth(ctx, "user", cfg, stderr)
	if err != nil {
		return err
	}
	defer closeRedis()
	link := func(e string) error {
		tok, err := users.SetupToken(ctx, e)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", setupLink(cfg, tok))
		fmt.Fprintf(stderr, "Send this link to %s: it sets their password, once, within %s.\n", e, auth.SetupTokenTTL)
		return nil
	}
	switch sub {
	case "create":
		if *tenant == "" || *email == "" {
			return errors.New("user create needs --tenant NAME and --email ADDRESS")
		}
		r, err := auth.ParseRole(*role)
		if err != nil {
			return err
		}
		u, err := users.CreateUser(ctx, *tenant, *email, r)
		if err != nil {
			return err
		}
		return link(u.Email)
	case "reset":
		if *email == "" {
			return errors.New("user reset needs --email ADDRESS")
		}
		return link(*email)
	case "list":
		list, err := users.Users(ctx, *tenant)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tTENANT\tROLE\tSTATE\tCREATED")
		for _, u := range list {
			state := "active"
			switch {
			case u.Disabled:
				state = "disabled"
			case u.PasswordHash == "":
				state = "invited"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Email, u.Tenant, u.Role, state, u.CreatedAt.Format("2006-01-02T15:04:05Z"))
		}
		return tw.Flush()
	case "disable":
		if *email == "" {
			return errors.New("user disable needs --email ADDRESS")
		}
		u, err := users.User(ctx, *email)
		if err != nil {
			return err
		}
		if err := users.DisableUser(ctx, u.Email); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s and signed them out everywhere\n", u.Email)
		if !*keepKeys {
			n, err := users.RevokeKeysBy(ctx, u.Tenant, "user:"+u.Email)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %d API key(s) they made in the console\n", n)
		}
		return nil
	}
	return fmt.Errorf("unknown user command %q: use create, list, disable or reset", sub)
}

// setupLink is the console's page that sets a password with a token.
func setupLink(cfg Config, token string) string {
	return consoleBase(cfg) + "/console/setup?token=" + url.QueryEscape(token)
}

// consoleBase is where people reach the gateway: the public base URL, or
// the local listen address.
func consoleBase(cfg Config) string {
	if cfg.PublicBaseURL != "" {
		return strings.TrimSuffix(cfg.PublicBaseURL, "/")
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
