package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's 19 MiB, two passes, one lane. A Raspberry
// Pi hashes in a fraction of a second and a small VPS does not swap when a
// few people log in at once. Stored hashes carry their parameters, so
// these can rise later without breaking old passwords.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashPassword returns a PHC-style argon2id string.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword tells whether password matches the stored hash. An empty
// hash (an account whose password was never set) matches nothing.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the account does not exist, so that a
// login attempt takes as long whether or not the account exists. It is
// made on first need, not at start, to keep start-up light.
var dummyHash = sync.OnceValue(func() string { return hashPassword("convene-dummy-password") })

// Every argon2id hash takes argonMemory (19 MiB) while it runs, so
// hashes at once are bounded for the whole process: as many as the
// machine has cores, at most two (a Raspberry Pi hashes two passwords in
// 38 MiB, and more at once would not be faster, only bigger). A login
// arriving when all are taken waits a little, then is asked to retry.
const (
	passwordHashWait       = 3 * time.Second
	passwordHashRetryAfter = 5 // seconds
)

// passwordHasher bounds the hashes running at once.
type passwordHasher struct {
	slots chan struct{}
	wait  time.Duration
}

func newPasswordHasher() *passwordHasher {
	return &passwordHasher{slots: make(chan struct{}, max(1, min(2, runtime.NumCPU()))), wait: passwordHashWait}
}

// errPasswordsBusy answers a request whose password could not be hashed
// for want of a free slot.
var errPasswordsBusy = &publicError{Status: http.StatusTooManyRequests, RetryAfter: passwordHashRetryAfter,
	Message: "Many people are logging in right now. Wait a few seconds and try again."}

// run runs fn in a hashing slot, or returns errPasswordsBusy.
func (h *passwordHasher) run(ctx context.Context, fn func()) error {
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
	case <-timer.C:
		return errPasswordsBusy
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	fn()
	return nil
}

// hashPassword hashes a new password within the bound.
func (a *App) hashPassword(ctx context.Context, password string) (hash string, err error) {
	err = a.hasher.run(ctx, func() { hash = hashPassword(password) })
	return hash, err
}

// checkPassword checks a password within the bound. An empty hash (no
// account, or one whose password was never set) is checked against a
// dummy, so that the answer takes as long either way.
func (a *App) checkPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	if hash == "" {
		err = a.hasher.run(ctx, func() { checkPassword(dummyHash(), password) })
		return false, err
	}
	err = a.hasher.run(ctx, func() { ok = checkPassword(hash, password) })
	return ok, err
}
