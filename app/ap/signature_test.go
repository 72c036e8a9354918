package ap

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Key generation is the slow part of these tests; share two keys.
var (
	keysOnce         sync.Once
	aliceKey, bobKey *rsa.PrivateKey
)

func testKeys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if aliceKey, err = GenerateKey(); err != nil {
			panic(err)
		}
		if bobKey, err = GenerateKey(); err != nil {
			panic(err)
		}
	})
	return aliceKey, bobKey
}

const aliceID = "https://a.example/@alice"

// verifyingServer starts a loopback server that verifies each request
// against lookup and reports the outcome, so signatures are checked on
// requests that really crossed the wire.
type verdict struct {
	keyID, owner string
	err          error
}

func verifyingServer(t *testing.T, now func() time.Time, lookup KeyLookup) (*httptest.Server, <-chan verdict) {
	t.Helper()
	results := make(chan verdict, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		keyID, owner, err := VerifyRequest(r, body, now(), lookup)
		results <- verdict{keyID, owner, err}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, results
}

func lookupFor(key *rsa.PublicKey) KeyLookup {
	return func(_ context.Context, keyID string) (*rsa.PublicKey, string, error) {
		if keyID != KeyID(aliceID) {
			return nil, "", errors.New("unknown key")
		}
		return key, aliceID, nil
	}
}

func TestSignedRequestVerifiesOverTheWire(t *testing.T) {
	alice, bob := testKeys(t)
	body := []byte(`{"type":"Follow","actor":"https://a.example/@alice"}`)

	tests := []struct {
		name    string
		method  string
		path    string
		body    []byte // what is signed
		sent    []byte // what is sent, when different
		signer  *rsa.PrivateKey
		verify  *rsa.PublicKey
		age     time.Duration // how far the verifier's clock is ahead
		wantErr error
	}{
		{name: "POST verifies", method: "POST", path: "/inbox", body: body, signer: alice, verify: &alice.PublicKey},
		{name: "GET verifies", method: "GET", path: "/@bob?page=2", signer: alice, verify: &alice.PublicKey},
		{name: "escaped path verifies", method: "GET", path: "/tags/f%C3%AAte", signer: alice, verify: &alice.PublicKey},
		{name: "changed body", method: "POST", path: "/inbox", body: body, sent: []byte(`{"type":"Delete"}`),
			signer: alice, verify: &alice.PublicKey, wantErr: ErrBadDigest},
		{name: "date two hours old", method: "POST", path: "/inbox", body: body, signer: alice, verify: &alice.PublicKey,
			age: 2 * time.Hour, wantErr: ErrDateSkew},
		{name: "date two hours ahead", method: "POST", path: "/inbox", body: body, signer: alice, verify: &alice.PublicKey,
			age: -2 * time.Hour, wantErr: ErrDateSkew},
		{name: "59 minutes is still fine", method: "POST", path: "/inbox", body: body, signer: alice, verify: &alice.PublicKey,
			age: 59 * time.Minute},
		{name: "signed by another key", method: "POST", path: "/inbox", body: body, signer: bob, verify: &alice.PublicKey,
			wantErr: ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, results := verifyingServer(t, func() time.Time { return time.Now().Add(tt.age) }, lookupFor(tt.verify))
			sent := tt.body
			if tt.sent != nil {
				sent = tt.sent
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(sent))
			if err != nil {
				t.Fatal(err)
			}
			if err := SignRequest(req, tt.body, KeyID(aliceID), tt.signer); err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := <-results
			if !errors.Is(got.err, tt.wantErr) || (tt.wantErr == nil && got.err != nil) {
				t.Fatalf("VerifyRequest error = %v, want %v", got.err, tt.wantErr)
			}
			if tt.wantErr == nil && (got.keyID != KeyID(aliceID) || got.owner != aliceID) {
				t.Errorf("got key %q owner %q", got.keyID, got.owner)
			}
		})
	}
}

func TestSignRequestHeaders(t *testing.T) {
	alice, _ := testKeys(t)
	tests := []struct {
		method      string
		wantHeaders string
	}{
		{"POST", `headers="(request-target) host date digest"`},
		{"GET", `headers="(request-target) host date"`},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "https://b.example/inbox", nil)
			req.Host = ""
			if err := SignRequest(req, []byte("{}"), "https://a.example/@alice#main-key", alice); err != nil {
				t.Fatal(err)
			}
			sig := req.Header.Get("Signature")
			for _, want := range []string{`keyId="https://a.example/@alice#main-key"`, `algorithm="rsa-sha256"`, tt.wantHeaders} {
				if !strings.Contains(sig, want) {
					t.Errorf("Signature %q lacks %s", sig, want)
				}
			}
			if req.Host != "b.example" || req.Header.Get("Host") != "b.example" {
				t.Errorf("Host = %q / %q", req.Host, req.Header.Get("Host"))
			}
			if _, err := http.ParseTime(req.Header.Get("Date")); err != nil {
				t.Errorf("Date %q: %v", req.Header.Get("Date"), err)
			}
			wantDigest := ""
			if tt.method == "POST" {
				wantDigest = "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=" // sha256("{}")
			}
			if got := req.Header.Get("Digest"); got != wantDigest {
				t.Errorf("Digest = %q, want %q", got, wantDigest)
			}
		})
	}
}

// TestVerifyRefuses covers headers a peer could tamper with or leave out;
// each request is first validly signed, then altered.
func TestVerifyRefuses(t *testing.T) {
	alice, _ := testKeys(t)
	body := []byte(`{"type":"Create"}`)
	tests := []struct {
		name    string
		alter   func(r *http.Request)
		lookup  KeyLookup
		wantErr error
	}{
		{name: "no signature", alter: func(r *http.Request) { r.Header.Del("Signature") }, wantErr: ErrNoSignature},
		{name: "digest not signed", alter: func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " digest", "", 1))
		}, wantErr: ErrMissingHeader},
		{name: "host not signed", alter: func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " host", "", 1))
		}, wantErr: ErrMissingHeader},
		{name: "headers parameter absent", alter: func(r *http.Request) {
			sig := r.Header.Get("Signature")
			start := strings.Index(sig, `headers="`)
			end := strings.Index(sig[start+9:], `"`) + start + 11
			r.Header.Set("Signature", sig[:start]+sig[end:])
		}, wantErr: ErrMissingHeader},
		{name: "digest header removed", alter: func(r *http.Request) { r.Header.Del("Digest") }, wantErr: ErrBadDigest},
		{name: "digest of another algorithm only", alter: func(r *http.Request) {
			r.Header.Set("Digest", "SHA-512=AAAA")
		}, wantErr: ErrBadDigest},
		{name: "date changed after signing", alter: func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat))
		}, wantErr: ErrBadSignature},
		{name: "path changed after signing", alter: func(r *http.Request) { r.RequestURI = "/users/bob/inbox" }, wantErr: ErrBadSignature},
		{name: "host changed after signing", alter: func(r *http.Request) { r.Host = "c.example" }, wantErr: ErrBadSignature},
		{name: "other algorithm", alter: func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha256", "hmac-sha256", 1))
		}, wantErr: ErrUnsupportedAlg},
		{name: "garbage header", alter: func(r *http.Request) { r.Header.Set("Signature", `keyId="x",signature`) }, wantErr: ErrMalformedSig},
		{name: "key lookup fails", alter: func(*http.Request) {}, lookup: func(context.Context, string) (*rsa.PublicKey, string, error) {
			return nil, "", errors.New("gone")
		}, wantErr: ErrKeyLookup},
		{name: "untouched request passes", alter: func(*http.Request) {}, wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "https://b.example/inbox", bytes.NewReader(body))
			if err := SignRequest(req, body, KeyID(aliceID), alice); err != nil {
				t.Fatal(err)
			}
			tt.alter(req)
			lookup := tt.lookup
			if lookup == nil {
				lookup = lookupFor(&alice.PublicKey)
			}
			_, _, err := VerifyRequest(req, body, time.Now(), lookup)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// A signature written the way other servers write it (hs2019, Authorization
// header, extra signed headers in another order) must verify too.
func TestVerifyAcceptsOtherServersShapes(t *testing.T) {
	alice, _ := testKeys(t)
	body := []byte(`{"type":"Follow"}`)
	req := httptest.NewRequest("POST", "https://b.example/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Digest", "SHA-512=ignored,"+digestOf(body))
	headers := []string{"(request-target)", "content-type", "date", "digest", "host"}
	s, err := buildSigningString(req, "/inbox", headers, nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := &Signer{KeyID: KeyID(aliceID), Key: alice}
	sig := signRaw(t, signer.Key, s)
	req.Header.Set("Authorization", `Signature keyId="`+signer.KeyID+`", algorithm="hs2019", headers="`+strings.Join(headers, " ")+`", signature="`+sig+`"`)
	if _, owner, err := VerifyRequest(req, body, time.Now(), lookupFor(&alice.PublicKey)); err != nil || owner != aliceID {
		t.Fatalf("owner %q, err %v", owner, err)
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	alice, _ := testKeys(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&alice.PublicKey)}))
	pkix, err := EncodePublicKeyPEM(&alice.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	mobilizon := readActorKey(t, "mobilizon-person-mobilizon.org-2019.json")
	gancio := readActorKey(t, "gancio-application-actor.json")
	tests := []struct {
		name     string
		pem      string
		wantBits int
		wantErr  bool
	}{
		{"PKCS#1 as Mobilizon sends", pkcs1, 2048, false},
		{"PKIX as Mastodon sends", pkix, 2048, false},
		{"PKIX under a PKCS#1 label", strings.ReplaceAll(pkix, "PUBLIC KEY", "RSA PUBLIC KEY"), 2048, false},
		{"Mobilizon capture, trailing blank lines", mobilizon, 2048, false},
		{"Gancio capture", gancio, 4096, false},
		{"not PEM", "MIIBCgKCAQEA", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParsePublicKeyPEM(tt.pem)
			if tt.wantErr {
				if err == nil {
					t.Fatal("expected an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.N.BitLen() != tt.wantBits {
				t.Errorf("key has %d bits, want %d", key.N.BitLen(), tt.wantBits)
			}
		})
	}
}

func TestPrivateKeyPEMRoundTrip(t *testing.T) {
	alice, _ := testKeys(t)
	s, err := EncodePrivateKeyPEM(alice)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKeyPEM(s)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(alice) {
		t.Fatal("private key changed in a PEM round trip")
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(alice)}))
	if back, err := ParsePrivateKeyPEM(pkcs1); err != nil || !back.Equal(alice) {
		t.Fatalf("PKCS#1 private key: %v", err)
	}
	if alice.N.BitLen() != 2048 {
		t.Errorf("GenerateKey made %d bits", alice.N.BitLen())
	}
}

// Signing and verifying from many goroutines must be safe: delivery workers
// and inbox handlers share one Signer and one verifier path.
func TestSignAndVerifyConcurrently(t *testing.T) {
	alice, _ := testKeys(t)
	signer := &Signer{KeyID: KeyID(aliceID), Key: alice}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			body := []byte(strings.Repeat("x", i))
			req := httptest.NewRequest("POST", "https://b.example/inbox", bytes.NewReader(body))
			if err := signer.Sign(req, body); err != nil {
				errs <- err
				return
			}
			if _, _, err := VerifyRequest(req, body, time.Now(), lookupFor(&alice.PublicKey)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func readActorKey(t *testing.T, fixture string) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/fixtures/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseActor(raw)
	if err != nil {
		t.Fatal(err)
	}
	return a.PublicKey.PublicKeyPEM
}

func signRaw(t *testing.T, key *rsa.PrivateKey, signingString string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(signingString))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
