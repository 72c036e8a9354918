package app

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testMailServer is a real SMTP server on loopback (github.com/emersion/go-smtp)
// with a certificate made for the test: it speaks STARTTLS, or TLS from
// the first byte when implicit, and wants a PLAIN login.
type testMailServer struct {
	URL   string         // what --smtp-url would say
	Roots *x509.CertPool // trusts the server's certificate

	mu       sync.Mutex
	received []receivedMail
	arrived  chan struct{}
	refuse   int // refuse this many messages with a temporary error
}

// receivedMail is one message as the server got it, with its parts decoded.
type receivedMail struct {
	From    string
	To      []string
	Subject string
	Text    string
	HTML    string
	Raw     string
}

const (
	testSMTPUser     = "convene"
	testSMTPPassword = "s3cret pass"
)

func startMailServer(t testing.TB, implicitTLS bool) *testMailServer {
	t.Helper()
	cert, roots := selfSignedCert(t)
	ms := &testMailServer{Roots: roots, arrived: make(chan struct{}, 1000)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testMailSession{ms: ms}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = discardLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "smtp"
	if implicitTLS {
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "smtps"
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ms.URL = scheme + "://" + testSMTPUser + ":" + strings.ReplaceAll(testSMTPPassword, " ", "%20") + "@" + ln.Addr().String()
	return ms
}

// withMail points an instance at the server.
func (ms *testMailServer) withMail(cfg *Config) {
	cfg.SMTPURL = ms.URL
	cfg.MailFrom = "events@convene.test"
	cfg.MailRootCAs = ms.Roots
}

// refuseNext makes the server answer the next n messages with a
// temporary failure, as a busy server would.
func (ms *testMailServer) refuseNext(n int) {
	ms.mu.Lock()
	ms.refuse = n
	ms.mu.Unlock()
}

// messages returns what has arrived so far.
func (ms *testMailServer) messages() []receivedMail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]receivedMail(nil), ms.received...)
}

// lastTo returns the last message sent to addr, failing the test when none.
func (ms *testMailServer) lastTo(t testing.TB, addr string) receivedMail {
	t.Helper()
	msgs := ms.messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, to := range msgs[i].To {
			if strings.EqualFold(to, addr) {
				return msgs[i]
			}
		}
	}
	t.Fatalf("no mail to %s among %d received", addr, len(msgs))
	return receivedMail{}
}

// countTo counts the messages sent to addr.
func (ms *testMailServer) countTo(addr string) int {
	n := 0
	for _, m := range ms.messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				n++
			}
		}
	}
	return n
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// link finds the first link in the text part that contains part.
func (m receivedMail) link(t testing.TB, part string) string {
	t.Helper()
	for _, l := range linkPattern.FindAllString(m.Text, -1) {
		if strings.Contains(l, part) {
			return l
		}
	}
	t.Fatalf("no link containing %q in mail %q:\n%s", part, m.Subject, m.Text)
	return ""
}

type testMailSession struct {
	ms     *testMailServer
	authed bool
	from   string
	to     []string
}

func (s *testMailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testMailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != testSMTPUser || password != testSMTPPassword {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testMailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testMailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *testMailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if s.ms.refuse > 0 {
		s.ms.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m, err := decodeMail(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unreadable message: " + err.Error()}
	}
	m.From, m.To = s.from, s.to
	s.ms.received = append(s.ms.received, m)
	s.ms.arrived <- struct{}{}
	return nil
}

func (s *testMailSession) Reset()        { s.from, s.to = "", nil }
func (s *testMailSession) Logout() error { return nil }

// decodeMail reads a MIME message the way a mail client would: headers
// decoded, text and HTML parts found and their transfer encoding undone.
func decodeMail(raw []byte) (receivedMail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return receivedMail{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return receivedMail{}, err
	}
	out := receivedMail{Subject: subject, Raw: string(raw)}
	var walk func(header map[string][]string, body io.Reader) error
	walk = func(header map[string][]string, body io.Reader) error {
		h := mail.Header(header)
		mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			return err
		}
		if strings.HasPrefix(mediaType, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				if err := walk(p.Header, p); err != nil {
					return err
				}
			}
		}
		var r io.Reader = body
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if !strings.EqualFold(params["charset"], "utf-8") {
			return errors.New("part not in UTF-8: " + params["charset"])
		}
		switch mediaType {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
		return nil
	}
	return out, walk(msg.Header, msg.Body)
}

// selfSignedCert makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSignedCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "convene test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
