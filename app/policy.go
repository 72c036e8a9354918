package app

// Federation policy: which servers we talk to. One decision,
// federationPolicy(host), serves every place that talks to a peer: the
// inbox (403 before any key fetch), signed GETs of our resources,
// outgoing fetches (refused before connecting), deliveries (filtered when
// queued and again when sent) and follows. The rules are read once into
// memory and swapped whole after each change, so a decision is a few map
// lookups whatever the size of the list.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net"
	"net/http"
	"strings"

	"convene/app/ap"
	"convene/app/store"

	"golang.org/x/net/idna"
)

// Federation modes: a blocklist federates with everyone not blocked; an
// allowlist only with the domains allowed.
const (
	ModeBlocklist = "blocklist"
	ModeAllowlist = "allowlist"

	SettingFederationMode = "federation.mode"
	// SettingShowModerated: off | users | all — who sees the moderated
	// servers on /about.
	SettingShowModerated = "federation.show_moderated"
)

// verdict is what the policy says of a host.
type verdict int

const (
	verdictAllow verdict = iota
	verdictSilence
	verdictSuspend
)

// policyDecision is the verdict for a host with the options of the block
// that decided it.
type policyDecision struct {
	Verdict       verdict
	RejectMedia   bool
	RejectReports bool
}

// Allowed tells whether we talk to the host at all.
func (d policyDecision) Allowed() bool { return d.Verdict != verdictSuspend }

// policySnapshot is the policy in force, immutable once built.
type policySnapshot struct {
	mode   string
	own    string
	blocks map[string]store.DomainPolicy
	allows map[string]bool
}

// policy returns the snapshot in force, reading it on first need.
func (a *App) currentPolicy() *policySnapshot {
	if p := a.policy.Load(); p != nil {
		return p
	}
	p, err := a.loadPolicy(context.Background())
	if err != nil {
		a.log.Error("federation policy", "err", err)
		// Nothing readable: refuse nobody rather than everybody, but do
		// not cache, so the next call tries again.
		return &policySnapshot{mode: ModeBlocklist, blocks: map[string]store.DomainPolicy{}, allows: map[string]bool{}}
	}
	return p
}

// loadPolicy reads the rules and puts them in force.
func (a *App) loadPolicy(ctx context.Context) (*policySnapshot, error) {
	rules, err := a.store.DomainPolicies(ctx)
	if err != nil {
		return nil, err
	}
	p := &policySnapshot{
		mode:   a.setting(ctx, SettingFederationMode),
		own:    hostName(a.baseURL.Host),
		blocks: make(map[string]store.DomainPolicy, len(rules)),
		allows: map[string]bool{},
	}
	for _, r := range rules {
		if r.Kind == store.PolicyAllow {
			p.allows[r.Domain] = true
		} else {
			p.blocks[r.Domain] = r
		}
	}
	a.policy.Store(p)
	return p, nil
}

// hostName is a host as policies name it: lower-case ASCII, no port, no
// trailing dot.
func hostName(host string) string {
	host = strings.TrimSpace(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(strings.TrimSuffix(host, ".")), "[]")
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		host = ascii
	}
	return host
}

// decide applies the rules to a host, longest suffix first, with
// GoToSocial's precedence: in blocklist mode an allow overrides a block;
// in allowlist mode a block overrides an allow and a host with no allow
// is refused. Our own host is never refused.
func (p *policySnapshot) decide(host string) policyDecision {
	host = hostName(host)
	if host == "" {
		return policyDecision{Verdict: verdictSuspend}
	}
	if host == p.own {
		return policyDecision{}
	}
	var block *store.DomainPolicy
	allowed := false
	// Walk from the host up to its top-level domain; an IP address is
	// matched only whole.
	isIP := net.ParseIP(host) != nil
	for name := host; name != ""; {
		if b, ok := p.blocks[name]; ok && block == nil {
			block = &b
		}
		if p.allows[name] {
			allowed = true
		}
		if isIP {
			break
		}
		_, rest, found := strings.Cut(name, ".")
		if !found {
			break
		}
		name = rest
	}
	blocked := func() policyDecision {
		d := policyDecision{Verdict: verdictSuspend, RejectMedia: block.RejectMedia, RejectReports: block.RejectReports}
		if block.Severity == store.SeveritySilence {
			d.Verdict = verdictSilence
		}
		return d
	}
	if p.mode == ModeAllowlist {
		if block != nil {
			return blocked()
		}
		if allowed {
			return policyDecision{}
		}
		return policyDecision{Verdict: verdictSuspend}
	}
	if block != nil && !allowed {
		return blocked()
	}
	return policyDecision{}
}

// federationPolicy is the one decision about a host (a bare host, a
// host:port, or a URL).
func (a *App) federationPolicy(hostOrURL string) policyDecision {
	host := hostOrURL
	if strings.Contains(hostOrURL, "://") {
		h, err := ap.Host(hostOrURL)
		if err != nil {
			return policyDecision{Verdict: verdictSuspend}
		}
		host = h
	}
	return a.currentPolicy().decide(host)
}

// federationAllowed tells whether we exchange anything with the host.
func (a *App) federationAllowed(hostOrURL string) bool {
	return a.federationPolicy(hostOrURL).Allowed()
}

// silencedDomains lists the domains whose events never reach the public
// calendar.
func (a *App) silencedDomains() []string {
	p := a.currentPolicy()
	var out []string
	for d, b := range p.blocks {
		if b.Severity == store.SeveritySilence && !p.allows[d] {
			out = append(out, d)
		}
	}
	return out
}

// signatureKeyID reads the keyId of a request's HTTP signature without
// verifying anything (the host it names decides whether we even look).
func signatureKeyID(r *http.Request) string {
	sig := r.Header.Get("Signature")
	if sig == "" {
		if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Signature ") {
			sig = strings.TrimPrefix(auth, "Signature ")
		}
	}
	for part := range strings.SplitSeq(sig, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "keyId") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// inboxGate decides, before any signature check or key fetch, whether an
// inbox POST is refused (403: its signer's or actor's host is refused, or
// its actor is suspended) or acknowledged and dropped (202: a Delete from
// an actor we never knew, which would cost a key fetch for nothing).
// Zero lets the request go on.
func (a *App) inboxGate(r *http.Request, act *ap.RemoteActivity) int {
	if keyID := signatureKeyID(r); keyID != "" && !a.federationAllowed(keyID) {
		return http.StatusForbidden
	}
	if !a.federationAllowed(act.Actor) {
		return http.StatusForbidden
	}
	ctx := r.Context()
	if suspended, err := a.store.IsActorSuspended(ctx, act.Actor); err == nil && suspended {
		return http.StatusForbidden
	}
	if act.Is(ap.TypeDelete) {
		if _, err := a.store.RemoteActorByURI(ctx, act.Actor); err != nil && !a.deletesKnownGroup(ctx, act) {
			return http.StatusAccepted
		}
	}
	return 0
}

// deletesKnownGroup tells whether a Delete names a remote group known
// here, from its own server: a group's server says so as its instance
// or as an administrator this server may never have met, and the group
// handler checks with the group's address before forgetting anything.
func (a *App) deletesKnownGroup(ctx context.Context, act *ap.RemoteActivity) bool {
	id := act.Object.ID
	if !ap.SameHost(id, act.Actor) {
		return false
	}
	g, err := a.store.GroupByURI(ctx, id)
	return err == nil && !g.IsLocal()
}

// refuseDeniedSigners answers 403 to a signed request whose signer's host
// is refused (a blocked server fetching our actors or events).
func (a *App) refuseDeniedSigners(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if keyID := signatureKeyID(r); keyID != "" && !a.federationAllowed(keyID) {
				w.WriteHeader(http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// allowedInboxes keeps the inboxes on hosts we still talk to.
func (a *App) allowedInboxes(inboxes []store.Inbox) []store.Inbox {
	out := inboxes[:0:0]
	for _, in := range inboxes {
		if a.federationAllowed(in.URL) {
			out = append(out, in)
		}
	}
	return out
}

// normalizeDomain reads a domain an admin typed or a list named: a bare
// host name (a URL or @user@host is reduced to its host), lower-case
// ASCII. "" when it is not one.
func normalizeDomain(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	if strings.Contains(s, "://") {
		h, err := ap.Host(s)
		if err != nil {
			return ""
		}
		s = h
	}
	s = strings.TrimPrefix(s, "*.")
	s = hostName(s)
	if s == "" || len(s) > 253 || strings.ContainsAny(s, "/?#@ *,;\"'<>\\") {
		return ""
	}
	return s
}

// applyDomainPolicy saves a rule and carries out what it means at once:
// a block drops the deliveries waiting for the domain; a suspension
// forgets everything cached from it (nothing is sent to it); a silence
// takes its events off the public calendar. One log row records it.
func (a *App) applyDomainPolicy(ctx context.Context, mod *store.Account, p store.DomainPolicy) error {
	if mod != nil {
		p.CreatedBy = mod.ID
	}
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.SaveDomainPolicyTx(ctx, tx, p); err != nil {
			return err
		}
		action := "domain.allow"
		if p.Kind == store.PolicyBlock {
			action = "domain." + p.Severity
		}
		return a.logModeration(ctx, tx, mod, action, "domain", p.Domain, 0, p)
	})
	if err != nil {
		return err
	}
	return a.enforcePolicy(ctx)
}

// removeDomainPolicy deletes a rule; nothing forgotten comes back.
func (a *App) removeDomainPolicy(ctx context.Context, mod *store.Account, domain, kind string) error {
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteDomainPolicyTx(ctx, tx, domain, kind); err != nil {
			return err
		}
		return a.logModeration(ctx, tx, mod, "domain.remove_"+kind, "domain", domain, 0, nil)
	})
	if err != nil {
		return err
	}
	return a.enforcePolicy(ctx)
}

// enforcePolicy reloads the rules and brings the cache in line: queued
// deliveries to refused hosts are dropped, everything cached from a
// suspended domain is removed, and remote events are relisted for
// silences.
func (a *App) enforcePolicy(ctx context.Context) error {
	p, err := a.loadPolicy(ctx)
	if err != nil {
		return err
	}
	hosts, err := a.knownRemoteHosts(ctx)
	if err != nil {
		return err
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		for _, h := range hosts {
			if p.decide(h).Allowed() {
				continue
			}
			if _, err := a.store.DropDeliveriesTo(ctx, tx, h); err != nil {
				return err
			}
			if _, err := a.store.SuspendDomainTx(ctx, tx, h); err != nil {
				return err
			}
		}
		return a.store.RelistRemoteEventsTx(ctx, tx, 0, a.silencedDomains())
	})
}

// knownRemoteHosts lists the hosts we hold anything from or owe anything
// to: actors, cached events, waiting deliveries.
func (a *App) knownRemoteHosts(ctx context.Context) ([]string, error) {
	return a.store.KnownRemoteHosts(ctx)
}

// policyDropped is the last_error of a delivery dropped by policy.
const policyDropped = "dropped_policy"

// obfuscatedDomain masks part of a domain the admins chose not to spell
// out (as Mastodon does); its SHA-256 digest still lets others check.
func obfuscatedDomain(p store.DomainPolicy) string {
	if !p.Obfuscate {
		return p.Domain
	}
	b := []byte(p.Domain)
	for i := range b {
		if b[i] != '.' && i%3 == 1 {
			b[i] = '*'
		}
	}
	return string(b)
}

func domainDigest(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return hex.EncodeToString(sum[:])
}
