package binarytest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The promise to someone running Convene on a Raspberry Pi with 1 GB: no
// burst of uploads or logins takes the process over this much memory.
const peakRSSBudgetKiB = 150 << 10

// peakRSSKiB reads the high-water mark of the process's resident memory.
func peakRSSKiB(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// stillAnswers checks that the server serves a page after the burst.
func stillAnswers(t *testing.T, srv *server) {
	t.Helper()
	res, err := http.Get("http://" + srv.addr + "/")
	if err != nil {
		t.Fatalf("the server no longer answers: %v\n%s", err, srv.stderr)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("home page after the burst: %d", res.StatusCode)
	}
}

// gradientPNG is a w×h opaque RGBA PNG that compresses to little: the
// picture an attacker sends to make a few kilobytes cost a decoded
// w×h×4 bytes.
func gradientPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := 0; x < w; x++ {
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = uint8(x>>5), uint8(y>>5), 90, 254
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// noisyJPEG is a w×h photo full of detail, at the best quality that
// stays under maxBytes: the largest file for its size.
func noisyJPEG(t *testing.T, w, h, maxBytes int) []byte {
	t.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Y {
		img.Y[i] = uint8(rng.Uint32())
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(rng.Uint32()), uint8(rng.Uint32())
	}
	for quality := 95; quality > 0; quality -= 5 {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
			t.Fatal(err)
		}
		if b.Len() <= maxBytes {
			return b.Bytes()
		}
	}
	t.Fatal("no quality makes the photo small enough")
	return nil
}

func avatarForm(t *testing.T, picture []byte) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("display_name", "Ada")
	fw, err := mw.CreateFormFile("avatar", "picture")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(picture)
	mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

// Four people upload the most expensive pictures at once, several times
// over: the process stays under the memory budget, every upload gets a
// clear answer (saved, refused, or "busy, retry"), and the server still
// serves pages. Before pictures were bounded, one 40-megapixel PNG of a
// few hundred kilobytes took the process to about 600 MB.
func TestPeakMemoryUnderConcurrentUploads(t *testing.T) {
	data := filepath.Join(t.TempDir(), "convene.db")
	addr := freePort(t)
	srv := startServer(t, data, addr)
	c := createUser(t, data, addr, "ada@example.org", "ada")
	c.Timeout = 2 * time.Minute // a picture may wait its turn

	pictures := map[string][]byte{
		// What the security review sent: 40 MP that compress to little.
		"40 MP PNG": gradientPNG(t, 8000, 5000),
		// A phone photo as large as a file may be.
		"12 MP JPEG full of detail": noisyJPEG(t, 4000, 3000, 10<<20),
	}
	answers := map[int]int{}
	var mu sync.Mutex
	for name, picture := range pictures {
		contentType, body := avatarForm(t, picture)
		t.Logf("%s: %d KB", name, len(picture)>>10)
		for round := 0; round < 2; round++ {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/me/identities/ada", bytes.NewReader(body))
					req.Header.Set("Content-Type", contentType)
					res, err := c.Do(req)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						return
					}
					res.Body.Close()
					if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
						t.Errorf("%s: busy without Retry-After", name)
					}
					mu.Lock()
					answers[res.StatusCode]++
					mu.Unlock()
				})
			}
			wg.Wait()
		}
	}
	t.Logf("answers by status: %v", answers)
	for status := range answers {
		switch status {
		case http.StatusSeeOther, http.StatusUnprocessableEntity, http.StatusServiceUnavailable:
		default:
			t.Errorf("an upload was answered %d", status)
		}
	}
	if answers[http.StatusSeeOther] == 0 {
		t.Error("no upload was saved at all")
	}
	stillAnswers(t, srv)
	peak := peakRSSKiB(t, srv.cmd.Process.Pid)
	t.Logf("peak RSS with 4 concurrent maximal uploads: %d MB", peak>>10)
	if peak > peakRSSBudgetKiB {
		t.Errorf("peak RSS %d MB, over the %d MB budget", peak>>10, peakRSSBudgetKiB>>10)
	}
}

// Sixty-four logins at once, each from its own address (so that no
// per-address limit hides the cost): the process stays under the memory
// budget, every login is answered (wrong password, or "too many, wait"),
// and the server still serves pages. Before hashing was bounded, this
// took the process to about 1.2 GB.
func TestPeakMemoryUnderConcurrentLogins(t *testing.T) {
	data := filepath.Join(t.TempDir(), "convene.db")
	addr := freePort(t)
	srv := startServer(t, data, addr)
	createUser(t, data, addr, "ada@example.org", "ada")

	answers := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 64 {
		wg.Go(func() {
			from := &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(10+i))}
			c := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
				DialContext: (&net.Dialer{LocalAddr: from}).DialContext}}
			form := url.Values{"login": {fmt.Sprintf("someone%d@example.org", i)}, "password": {"not the password at all"}}
			if i%2 == 0 {
				form.Set("login", "ada") // a real account, so its real hash is checked
			}
			<-start
			res, err := c.PostForm("http://"+addr+"/login", form)
			if err != nil {
				t.Errorf("login %d: %v", i, err)
				return
			}
			res.Body.Close()
			mu.Lock()
			answers[res.StatusCode]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	t.Logf("answers by status: %v", answers)
	for status := range answers {
		if status != http.StatusUnauthorized && status != http.StatusTooManyRequests {
			t.Errorf("a wrong login was answered %d", status)
		}
	}
	if answers[http.StatusUnauthorized] == 0 {
		t.Error("no password was checked at all")
	}
	stillAnswers(t, srv)
	peak := peakRSSKiB(t, srv.cmd.Process.Pid)
	t.Logf("peak RSS with 64 concurrent logins: %d MB", peak>>10)
	if peak > peakRSSBudgetKiB {
		t.Errorf("peak RSS %d MB, over the %d MB budget", peak>>10, peakRSSBudgetKiB>>10)
	}
}
