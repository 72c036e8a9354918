package app

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// multipartRequest builds a POST with one file field (and the body cap
// every real request goes through).
func multipartRequest(t testing.TB, field, filename string, data []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if data != nil {
		fw, err := mw.CreateFormFile(field, filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.WriteField("title", "x")
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBodyBytes)
	return r
}

// photo is an opaque picture with some detail, so JPEG has work to do.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifSecret is a string we hide in the GPS block of a JPEG; it must not
// survive the upload.
const exifSecret = "CONVENE-GPS-48.8566N-2.3522E"

// withEXIF inserts an APP1 EXIF segment right after the JPEG's SOI marker:
// IFD0 holds an orientation and a pointer to a GPS IFD carrying latitude,
// longitude and a map datum text (our secret). Written by hand, little
// endian, the way cameras write it.
func withEXIF(jpg []byte, orientation uint16) []byte {
	le := binary.LittleEndian
	var t bytes.Buffer
	t.WriteString("II")
	binary.Write(&t, le, uint16(42))
	binary.Write(&t, le, uint32(8)) // IFD0 at offset 8
	// IFD0: 2 entries (orientation, GPS pointer), then next-IFD offset 0.
	gpsOffset := uint32(8 + 2 + 2*12 + 4)
	binary.Write(&t, le, uint16(2))
	binary.Write(&t, le, [6]uint16{0x0112, 3, 1, 0, orientation, 0}) // tag, SHORT, count 1 (as two u16), value
	binary.Write(&t, le, uint16(0x8825))
	binary.Write(&t, le, uint16(4))
	binary.Write(&t, le, uint32(1))
	binary.Write(&t, le, gpsOffset)
	binary.Write(&t, le, uint32(0))
	// GPS IFD: latitude ref, latitude (3 rationals), map datum (ASCII).
	dataOffset := gpsOffset + 2 + 3*12 + 4
	secret := exifSecret + "\x00"
	binary.Write(&t, le, uint16(3))
	binary.Write(&t, le, uint16(0x0001))
	binary.Write(&t, le, uint16(2))
	binary.Write(&t, le, uint32(2))
	t.WriteString("N\x00\x00\x00")
	binary.Write(&t, le, uint16(0x0002))
	binary.Write(&t, le, uint16(5))
	binary.Write(&t, le, uint32(3))
	binary.Write(&t, le, dataOffset)
	binary.Write(&t, le, uint16(0x0012))
	binary.Write(&t, le, uint16(2))
	binary.Write(&t, le, uint32(len(secret)))
	binary.Write(&t, le, dataOffset+24)
	binary.Write(&t, le, uint32(0))
	binary.Write(&t, le, [6]uint32{48, 1, 51, 1, 2376, 100})
	t.WriteString(secret)

	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// solidWebP writes a lossless WebP (VP8L) of one colour by hand: every
// prefix code is a "simple code" with a single symbol, so the pixels take
// no bits at all. Enough to prove we read WebP by its content.
func solidWebP(w, h int, c color.NRGBA) []byte {
	var bits []bool
	put := func(v uint32, n int) {
		for i := 0; i < n; i++ {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(uint32(w-1), 14)
	put(uint32(h-1), 14)
	put(1, 1) // alpha is used
	put(0, 3) // version
	put(0, 1) // no transform
	put(0, 1) // no colour cache
	put(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		put(1, 1) // simple code
		put(0, 1) // one symbol
		put(1, 1) // 8-bit symbol
		put(uint32(sym), 8)
	}
	vp8l := []byte{0x2f}
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := 0; j < 8 && i+j < len(bits); j++ {
			if bits[i+j] {
				b |= 1 << j
			}
		}
		vp8l = append(vp8l, b)
	}
	if len(vp8l)%2 == 1 {
		vp8l = append(vp8l, 0)
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(4+8+len(vp8l)))
	out.WriteString("WEBPVP8L")
	binary.Write(&out, binary.LittleEndian, uint32(len(vp8l)))
	out.Write(vp8l)
	return out.Bytes()
}

// pngBomb is a valid PNG header claiming a 60000×60000 picture: a few
// dozen bytes that would need gigabytes once decoded.
func pngBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestSaveUploadedImage(t *testing.T) {
	ti := newTestInstance(t)
	a := ti.App

	transparent := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	transparent.Set(3, 3, color.NRGBA{200, 10, 10, 255})
	var gifBuf bytes.Buffer
	gif.Encode(&gifBuf, photo(16, 16), nil)

	cases := []struct {
		name        string
		file        string
		data        []byte
		wantType    string
		wantW       int
		wantH       int
		wantMessage string
	}{
		{name: "photo with EXIF and GPS", file: "holiday.jpg", data: withEXIF(encodeJPEG(t, photo(64, 48)), 1), wantType: "image/jpeg", wantW: 64, wantH: 48},
		{name: "sideways phone photo is turned", file: "phone.jpg", data: withEXIF(encodeJPEG(t, photo(40, 20)), 6), wantType: "image/jpeg", wantW: 20, wantH: 40},
		{name: "transparent PNG stays PNG", file: "logo.png", data: encodePNG(t, transparent), wantType: "image/png", wantW: 30, wantH: 20},
		{name: "opaque PNG becomes JPEG", file: "shot.png", data: encodePNG(t, photo(30, 30)), wantType: "image/jpeg", wantW: 30, wantH: 30},
		{name: "GIF", file: "anim.gif", data: gifBuf.Bytes(), wantType: "image/jpeg", wantW: 16, wantH: 16},
		{name: "WebP", file: "pic.webp", data: solidWebP(12, 9, color.NRGBA{10, 120, 200, 255}), wantType: "image/jpeg", wantW: 12, wantH: 9},
		{name: "huge picture scaled down", file: "big.png", data: encodePNG(t, photo(3000, 1000)), wantType: "image/jpeg", wantW: 2000, wantH: 666},
		{name: "text renamed .jpg", file: "notes.jpg", data: []byte("Dear diary, this is not a picture at all.\n"), wantMessage: "not a picture we can use"},
		{name: "HTML renamed .png", file: "x.png", data: []byte("<script>alert(1)</script>"), wantMessage: "not a picture we can use"},
		{name: "truncated JPEG", file: "cut.jpg", data: encodeJPEG(t, photo(64, 64))[:200], wantMessage: "damaged"},
		{name: "decompression bomb", file: "bomb.png", data: pngBomb(), wantMessage: "too many pixels"},
		{name: "over 10 MB", file: "huge.jpg", data: append([]byte("\xff\xd8\xff"), make([]byte, 11<<20)...), wantMessage: "too big"},
		{name: "no file", file: "", data: nil},
		{name: "empty file input", file: "", data: []byte{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, msg, err := a.saveUploadedImage(multipartRequest(t, "banner", tc.file, tc.data), "banner")
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantMessage != "" {
				if m != nil || !strings.Contains(msg, tc.wantMessage) {
					t.Fatalf("got media %v, message %q; want message containing %q", m, msg, tc.wantMessage)
				}
				return
			}
			if tc.wantType == "" {
				if m != nil || msg != "" {
					t.Fatalf("no file sent: got media %v, message %q", m, msg)
				}
				return
			}
			if msg != "" || m == nil {
				t.Fatalf("refused a good picture: %q", msg)
			}
			res, body := ti.get(t, ti.client(), "/media/"+m.UUID)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != tc.wantType {
				t.Fatalf("served %d %q, want 200 %q", res.StatusCode, res.Header.Get("Content-Type"), tc.wantType)
			}
			cfg, format, err := image.DecodeConfig(strings.NewReader(body))
			if err != nil {
				t.Fatalf("served bytes are not a picture: %v", err)
			}
			if "image/"+format != tc.wantType || cfg.Width != tc.wantW || cfg.Height != tc.wantH {
				t.Fatalf("served a %s of %d×%d, want %s %d×%d", format, cfg.Width, cfg.Height, tc.wantType, tc.wantW, tc.wantH)
			}
			for _, leak := range []string{"Exif", exifSecret, "CONVENE-GPS"} {
				if strings.Contains(body, leak) {
					t.Fatalf("served picture still carries %q", leak)
				}
			}
		})
	}
}

func TestEXIFOrientationIsApplied(t *testing.T) {
	// A picture whose left half is red, sent with orientation 6 (turn 90°
	// clockwise): after the upload its top half must be red.
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < 20 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	pic, err := newPictureProcessor().Reencode(t.Context(), withEXIF(encodeJPEG(t, img), 6))
	if err != nil || pic.Width != 20 || pic.Height != 40 {
		t.Fatalf("got %+v %v", pic, err)
	}
	got, err := jpeg.Decode(bytes.NewReader(pic.Data))
	if err != nil {
		t.Fatal(err)
	}
	r, _, b, _ := got.At(10, 5).RGBA()
	if r < b {
		t.Fatalf("top of the turned picture is not red: r=%d b=%d", r>>8, b>>8)
	}
	r, _, b, _ = got.At(10, 35).RGBA()
	if r > b {
		t.Fatalf("bottom of the turned picture is not blue: r=%d b=%d", r>>8, b>>8)
	}
}
