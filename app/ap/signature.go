package ap

// HTTP Signatures, draft-cavage-http-signatures-12, as the fediverse uses
// them: RSA PKCS#1 v1.5 over SHA-256, announced as algorithm="rsa-sha256".
//
// We write this with crypto/rsa instead of github.com/go-fed/httpsig because
// that library announces "hs2019" (older Mobilizon and Gancio releases only
// know "rsa-sha256"), checks neither Digest against the body nor Date skew
// (the two checks the inbox needs most), and its signers and verifiers are not
// safe for concurrent use, which the delivery workers and the inbox both are.
// What remains to write is the signing string and ~100 lines around it.

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors a verifier returns. Every one of them means "answer 401": the
// request is not proven to come from who it says.
var (
	ErrNoSignature      = errors.New("ap: request has no HTTP signature")
	ErrMalformedSig     = errors.New("ap: malformed Signature header")
	ErrUnsupportedAlg   = errors.New("ap: unsupported signature algorithm")
	ErrMissingHeader    = errors.New("ap: a required header is missing or not signed")
	ErrDateSkew         = errors.New("ap: Date header too far from now")
	ErrBadDigest        = errors.New("ap: Digest header does not match the body")
	ErrBadSignature     = errors.New("ap: signature does not verify")
	ErrKeyLookup        = errors.New("ap: signing key could not be obtained")
	ErrSignatureExpired = errors.New("ap: signature has expired")
)

// MaxDateSkew is how far a signed Date may be from our clock, either way.
// One hour is what Mastodon and Fedify accept; less would refuse peers with
// sloppy clocks, more would widen the replay window.
const MaxDateSkew = time.Hour

// minKeyBits refuses keys that are cheap to factor; every fediverse server we
// know of uses 2048 bits or more.
const minKeyBits = 2048

// KeyLookup returns the public key for a keyId and the actor that owns it.
// The inbox passes its cache here, then a refetching variant once on failure.
type KeyLookup func(ctx context.Context, keyID string) (key *rsa.PublicKey, ownerActorURI string, err error)

// Signer is an actor able to sign requests: its key id (usually the actor id
// followed by #main-key) and private key. A Signer is safe for concurrent use.
type Signer struct {
	KeyID string
	Key   *rsa.PrivateKey
}

// Sign signs req on behalf of s; see SignRequest.
func (s *Signer) Sign(req *http.Request, body []byte) error {
	return SignRequest(req, body, s.KeyID, s.Key)
}

// SignRequest sets Host, Date, Digest (for requests with a body) and
// Signature on req. body must be exactly the bytes that will be sent; the
// caller sets req.Body itself. GET and HEAD sign "(request-target) host date",
// everything else adds "digest".
func SignRequest(req *http.Request, body []byte, keyID string, key *rsa.PrivateKey) error {
	if key == nil || keyID == "" {
		return errors.New("ap: signing needs a key id and a private key")
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return errors.New("ap: signing needs a request with a host")
	}
	req.Host = host
	// Go's client sends req.Host and ignores a Host header; setting both keeps
	// req.Header a faithful picture of what was signed.
	req.Header.Set("Host", host)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))

	headers := []string{"(request-target)", "host", "date"}
	if needsDigest(req.Method) {
		req.Header.Set("Digest", digestOf(body))
		headers = append(headers, "digest")
	}
	signingString, err := buildSigningString(req, req.URL.RequestURI(), headers, nil)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(signingString))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("ap: signing request: %w", err)
	}
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		keyID, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
	return nil
}

// VerifyRequest checks the HTTP signature of an incoming request whose body
// has already been read into body. It returns the key id and the key's owner;
// the caller must still check that owner is the activity's actor.
func VerifyRequest(req *http.Request, body []byte, now time.Time, lookupKey KeyLookup) (keyID, owner string, err error) {
	params, err := signatureParams(req)
	if err != nil {
		return "", "", err
	}
	keyID = params["keyid"]
	if keyID == "" {
		return "", "", fmt.Errorf("%w: no keyId", ErrMalformedSig)
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil || len(sig) == 0 {
		return keyID, "", fmt.Errorf("%w: signature is not base64", ErrMalformedSig)
	}
	switch strings.ToLower(params["algorithm"]) {
	// hs2019 means "whatever the key says"; for an RSA key every
	// implementation we know signs PKCS#1 v1.5 with SHA-256.
	case "", "rsa-sha256", "hs2019":
	default:
		return keyID, "", fmt.Errorf("%w: %q", ErrUnsupportedAlg, params["algorithm"])
	}

	headersParam, ok := params["headers"]
	if !ok {
		headersParam = "date" // the draft's default, which our requirements then refuse
	}
	headers := strings.Fields(strings.ToLower(headersParam))
	required := []string{"(request-target)", "host", "date"}
	if needsDigest(req.Method) {
		required = append(required, "digest")
	}
	for _, h := range required {
		if !contains(headers, h) {
			return keyID, "", fmt.Errorf("%w: %s not signed", ErrMissingHeader, h)
		}
	}

	date, err := http.ParseTime(req.Header.Get("Date"))
	if err != nil {
		return keyID, "", fmt.Errorf("%w: Date %q unreadable", ErrMissingHeader, req.Header.Get("Date"))
	}
	if skew := now.Sub(date); skew > MaxDateSkew || skew < -MaxDateSkew {
		return keyID, "", fmt.Errorf("%w: %s", ErrDateSkew, skew.Round(time.Second))
	}
	if exp, ok := params["expires"]; ok {
		if secs, err := strconv.ParseInt(exp, 10, 64); err != nil || now.Unix() > secs {
			return keyID, "", ErrSignatureExpired
		}
	}

	if needsDigest(req.Method) || req.Header.Get("Digest") != "" {
		if err := checkDigest(req.Header.Values("Digest"), body); err != nil {
			return keyID, "", err
		}
	}

	// The raw request line is what the peer signed; the parsed URL may
	// re-escape it differently.
	// An absolute-form request line (sent through a proxy) is signed as its
	// path and query, like every other.
	target := req.RequestURI
	if !strings.HasPrefix(target, "/") {
		target = req.URL.RequestURI()
	}
	signingString, err := buildSigningString(req, target, headers, params)
	if err != nil {
		return keyID, "", err
	}

	key, owner, err := lookupKey(req.Context(), keyID)
	if err != nil {
		return keyID, "", fmt.Errorf("%w: %s: %w", ErrKeyLookup, keyID, err)
	}
	if key == nil {
		return keyID, "", fmt.Errorf("%w: %s: no key", ErrKeyLookup, keyID)
	}
	if key.N.BitLen() < minKeyBits {
		return keyID, owner, fmt.Errorf("%w: %d-bit key is too short", ErrBadSignature, key.N.BitLen())
	}
	sum := sha256.Sum256([]byte(signingString))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return keyID, owner, ErrBadSignature
	}
	return keyID, owner, nil
}

func needsDigest(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

func digestOf(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// checkDigest accepts a Digest header listing several algorithms as long as
// its SHA-256 entry matches; one without SHA-256 proves nothing we can check.
func checkDigest(values []string, body []byte) error {
	sum := sha256.Sum256(body)
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.EqualFold(alg, "SHA-256") {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(val)
			if err != nil {
				return fmt.Errorf("%w: not base64", ErrBadDigest)
			}
			if subtle.ConstantTimeCompare(got, sum[:]) != 1 {
				return ErrBadDigest
			}
			return nil
		}
	}
	return fmt.Errorf("%w: no SHA-256 digest", ErrBadDigest)
}

func buildSigningString(req *http.Request, target string, headers []string, params map[string]string) (string, error) {
	var b strings.Builder
	for i, h := range headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		switch h {
		case "(request-target)":
			b.WriteString(strings.ToLower(req.Method))
			b.WriteByte(' ')
			b.WriteString(target)
		case "(created)", "(expires)":
			v, ok := params[strings.Trim(h, "()")]
			if !ok {
				return "", fmt.Errorf("%w: %s parameter", ErrMissingHeader, h)
			}
			b.WriteString(v)
		case "host":
			// A Go server moves Host out of req.Header into req.Host.
			host := req.Host
			if host == "" {
				host = req.Header.Get("Host")
			}
			if host == "" {
				return "", fmt.Errorf("%w: host", ErrMissingHeader)
			}
			b.WriteString(host)
		default:
			values := req.Header.Values(h)
			if len(values) == 0 {
				return "", fmt.Errorf("%w: %s", ErrMissingHeader, h)
			}
			for j, v := range values {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.TrimSpace(v))
			}
		}
	}
	return b.String(), nil
}

// signatureParams reads the Signature header, or the Authorization header in
// its "Signature ..." form that some servers still send.
func signatureParams(req *http.Request) (map[string]string, error) {
	raw := req.Header.Get("Signature")
	if raw == "" {
		auth := req.Header.Get("Authorization")
		if scheme, rest, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Signature") {
			raw = rest
		}
	}
	if raw == "" {
		return nil, ErrNoSignature
	}
	params := make(map[string]string)
	rest := strings.TrimSpace(raw)
	for rest != "" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, ErrMalformedSig
		}
		name = strings.ToLower(strings.TrimSpace(name))
		after = strings.TrimSpace(after)
		var value string
		if strings.HasPrefix(after, `"`) {
			end := strings.IndexByte(after[1:], '"')
			if end < 0 {
				return nil, ErrMalformedSig
			}
			value, rest = after[1:1+end], after[2+end:]
		} else {
			// (created) and (expires) are sent as bare integers.
			value, rest, _ = strings.Cut(after, ",")
			rest = "," + rest
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%w: %s given twice", ErrMalformedSig, name)
		}
		params[name] = strings.TrimSpace(value)
		rest = strings.TrimSpace(rest)
		if rest != "" && rest[0] != ',' {
			return nil, ErrMalformedSig
		}
		rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return params, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// GenerateKey makes the RSA-2048 key every actor signs with: the size
// Mastodon and Mobilizon use, so every peer can verify it.
func GenerateKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// EncodePrivateKeyPEM writes a private key as PKCS#8 "PRIVATE KEY".
func EncodePrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKeyPEM reads a private key written by EncodePrivateKeyPEM, or
// a PKCS#1 "RSA PRIVATE KEY" from an import.
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("ap: no PEM block in private key")
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ap: parsing private key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("ap: private key is %T, not RSA", parsed)
	}
	return key, nil
}

// EncodePublicKeyPEM writes a public key as PKIX "PUBLIC KEY", the form
// Mastodon publishes and every peer reads.
func EncodePublicKeyPEM(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM reads an actor's publicKeyPem: PKIX "PUBLIC KEY" as
// Mastodon sends, or PKCS#1 "RSA PUBLIC KEY" as Mobilizon sends. The DER is
// tried both ways whatever the label says, because labels are sometimes wrong.
func ParsePublicKeyPEM(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("ap: no PEM block in public key")
	}
	if key, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return key, nil
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ap: parsing public key: %w", err)
	}
	key, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ap: public key is %T, not RSA", parsed)
	}
	return key, nil
}
