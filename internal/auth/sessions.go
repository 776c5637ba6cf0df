package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Console sessions: a random 256-bit id in the browser's cookie, stored
// only as its SHA-256 in Redis, with an idle expiry (renewed as it is
// used) and an absolute one. Each user's sessions are listed, so that
// signing out everywhere, a new password or disabling the user ends them
// all.

// Session lifetimes.
const (
	SessionIdle     = 12 * time.Hour
	SessionAbsolute = 7 * 24 * time.Hour
)

// Session is a signed-in user.
type Session struct {
	Email     string    `json:"email"`
	Tenant    string    `json:"tenant"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// CSRF is the token the session's forms carry (random, per session).
	CSRF string `json:"csrf"`
}

func sessionKey(hash string) string { return "sg:auth:session:" + hash }

func userSessionsKey(email string) string { return "sg:auth:usessions:" + email }

// ErrNoSession is a session id that is unknown or expired.
var ErrNoSession = errors.New("not signed in")

// StartSession signs u in: it returns the session's id (for the cookie
// only) and the session.
func (s *Store) StartSession(ctx context.Context, u User) (string, Session, error) {
	// The user as stored now: one disabled while signing in gets none.
	if cur, err := s.User(ctx, u.Email); err != nil {
		return "", Session{}, err
	} else if cur.Disabled {
		return "", Session{}, ErrBadCredentials
	}
	id, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	sess := Session{Email: u.Email, Tenant: u.Tenant, Role: u.Role, CreatedAt: s.now().UTC(), CSRF: csrf}
	data, err := json.Marshal(sess)
	if err != nil {
		return "", Session{}, err
	}
	h := hashSecret(id)
	// Two keys of different slots: a pipeline, not a transaction. A
	// session missing from its user's list would outlive a sign-out
	// everywhere, so the list goes first.
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, userSessionsKey(u.Email), redis.Z{Score: float64(sess.CreatedAt.Add(SessionAbsolute).Unix()), Member: h})
		p.ZRemRangeByScore(ctx, userSessionsKey(u.Email), "-inf", strconv.FormatInt(s.now().Unix(), 10))
		p.Expire(ctx, userSessionsKey(u.Email), SessionAbsolute)
		return nil
	}); err != nil {
		return "", Session{}, fmt.Errorf("session: %w: %w", ErrUnavailable, err)
	}
	if err := s.rdb.Set(ctx, sessionKey(h), data, SessionIdle).Err(); err != nil {
		return "", Session{}, fmt.Errorf("session: %w: %w", ErrUnavailable, err)
	}
	return id, sess, nil
}

// Session returns the session of an id and renews its idle expiry. A
// session past its absolute expiry is ended. (Disabling a user or setting
// a new password ends the user's sessions.)
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	if id == "" || len(id) > 64 {
		return Session{}, ErrNoSession
	}
	h := hashSecret(id)
	data, err := s.rdb.GetEx(ctx, sessionKey(h), SessionIdle).Bytes()
	if errors.Is(err, redis.Nil) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w: %w", ErrUnavailable, err)
	}
	var sess Session
	if err := json.Unmarshal(data, &sess); err != nil {
		return Session{}, ErrNoSession
	}
	if s.now().After(sess.CreatedAt.Add(SessionAbsolute)) {
		s.rdb.Del(ctx, sessionKey(h))
		return Session{}, ErrNoSession
	}
	return sess, nil
}

// EndSession signs one session out.
func (s *Store) EndSession(ctx context.Context, id string) error {
	sess, err := s.Session(ctx, id)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	h := hashSecret(id)
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, sessionKey(h))
		p.ZRem(ctx, userSessionsKey(sess.Email), h)
		return nil
	}); err != nil {
		return fmt.Errorf("sign out: %w: %w", ErrUnavailable, err)
	}
	return nil
}

// EndSessions signs a user out everywhere.
func (s *Store) EndSessions(ctx context.Context, email string) error {
	hashes, err := s.rdb.ZRange(ctx, userSessionsKey(email), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("sign out: %w: %w", ErrUnavailable, err)
	}
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range hashes {
			p.Del(ctx, sessionKey(h))
		}
		p.Del(ctx, userSessionsKey(email))
		return nil
	}); err != nil {
		return fmt.Errorf("sign out: %w: %w", ErrUnavailable, err)
	}
	return nil
}
