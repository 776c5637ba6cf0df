package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Bootstrap creates an admin key for DefaultTenant when that tenant has
// none (a fresh store, or one where only other keys were made), and
// returns its secret; otherwise it returns "". A short lock keeps several
// instances starting together from each creating one.
func (s *Store) Bootstrap(ctx context.Context) (string, error) {
	has := func() (bool, error) {
		keys, err := s.List(ctx)
		if err != nil {
			return false, err
		}
		for _, k := range keys {
			if k.Tenant == DefaultTenant && k.Role == RoleAdmin {
				return true, nil
			}
		}
		return false, nil
	}
	if ok, err := has(); err != nil || ok {
		return "", err
	}
	ok, err := s.rdb.SetNX(ctx, bootstrapLock, "1", 30*time.Second).Result()
	if err != nil {
		return "", fmt.Errorf("bootstrap lock: %w: %w", ErrUnavailable, err)
	}
	if !ok {
		return "", nil
	}
	defer s.rdb.Del(context.WithoutCancel(ctx), bootstrapLock)
	if ok, err := has(); err != nil || ok {
		return "", err
	}
	secret, _, err := s.Create(ctx, DefaultTenant, RoleAdmin)
	return secret, err
}

// BootstrapAdmin is the console's first admin of DefaultTenant.
const BootstrapAdmin = "admin@scangate.local"

// BootstrapUser makes sure DefaultTenant has a console admin who can sign
// in: when none has a password, it creates BootstrapAdmin (if missing) and
// returns a one-time token to set its password; otherwise "".
func (s *Store) BootstrapUser(ctx context.Context) (email, token string, err error) {
	users, err := s.Users(ctx, DefaultTenant)
	if err != nil {
		return "", "", err
	}
	exists := false
	for _, u := range users {
		if u.Role == RoleAdmin && !u.Disabled && u.PasswordHash != "" {
			return "", "", nil
		}
		if u.Email == BootstrapAdmin && u.Disabled {
			return "", "", nil // disabled on purpose: no link for it
		}
		exists = exists || u.Email == BootstrapAdmin
	}
	if !exists {
		if _, err := s.CreateUser(ctx, DefaultTenant, BootstrapAdmin, RoleAdmin); err != nil && !errors.Is(err, ErrExists) {
			return "", "", err
		}
	}
	tok, err := s.SetupToken(ctx, BootstrapAdmin)
	return BootstrapAdmin, tok, err
}
