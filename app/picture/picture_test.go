package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
	"time"
)

// pngHeader is the start of a PNG claiming w×h pixels of the given bit
// depth and colour type (6: RGBA, 2: RGB, 0: grey, 3: palette): what the
// budget is checked against, before any pixel is read.
func pngHeader(w, h int, depth, colourType, interlace byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9], ihdr[12] = depth, colourType, interlace
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	if colourType == 3 {
		plte := append([]byte("PLTE"), 0, 0, 0)
		binary.Write(&b, binary.BigEndian, uint32(3))
		b.Write(plte)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(plte))
		// The palette's colour model is known once the next chunk starts.
		binary.Write(&b, binary.BigEndian, uint32(0))
		b.WriteString("IDAT")
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE([]byte("IDAT")))
	}
	return b.Bytes()
}

// jpegHeader is the start of a JPEG with a frame header for w×h pixels,
// baseline or progressive, in 4:2:0 colour.
func jpegHeader(w, h int, progressive bool) []byte {
	sof := byte(0xc0)
	if progressive {
		sof = 0xc2
	}
	jfif := []byte{0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	return append([]byte{0xff, 0xd8}, append(jfif, 0xff, sof, 0, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)...)
}

// The budget is judged from the header, in what the decoder would
// allocate: a phone photo passes, and so do screenshots, while pictures
// whose decoding would cost more than a Pi should give are refused
// before a pixel is read, whatever their file size.
func TestDecodeBudgetFromHeader(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"12 MP baseline JPEG (a phone photo)", jpegHeader(4000, 3000, false), true},
		{"24 MP baseline JPEG", jpegHeader(6000, 4000, false), true},
		{"40 MP baseline JPEG", jpegHeader(8000, 5000, false), false},
		{"6 MP progressive JPEG", jpegHeader(3000, 2000, true), true},
		{"12 MP progressive JPEG (coefficients kept for the whole picture)", jpegHeader(4000, 3000, true), false},
		{"12 MP RGBA PNG", pngHeader(4000, 3000, 8, 6, 0), true},
		{"40 MP RGBA PNG (the review's bomb)", pngHeader(8000, 5000, 8, 6, 0), false},
		{"12 MP 16-bit RGBA PNG", pngHeader(4000, 3000, 16, 6, 0), false},
		{"12 MP interlaced RGBA PNG", pngHeader(4000, 3000, 8, 6, 1), false},
		{"40 MP palette PNG", pngHeader(8000, 5000, 8, 3, 0), true},
		{"a side over 30000 pixels", pngHeader(40000, 10, 8, 0, 0), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := check(tc.data)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("got %v, want ErrTooManyPixels", err)
			}
		})
	}
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0, 0, 0, 255}
			if x < w/2 {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// When every decoding slot is taken, a picture waits, then is refused
// with ErrBusy; it goes through once a slot is free again.
func TestProcessorBusy(t *testing.T) {
	p := NewProcessor(1, 50*time.Millisecond)
	release, err := p.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	data := encodePNG(t, halves(20, 10))
	if _, err := p.Reencode(t.Context(), data); !errors.Is(err, ErrBusy) {
		t.Fatalf("with the only slot taken: %v, want ErrBusy", err)
	}
	release()
	if _, err := p.Reencode(t.Context(), data); err != nil {
		t.Fatalf("with the slot free again: %v", err)
	}
}

// Thumbnails come in the widths lists ask for, never wider than the
// picture, keep its proportions, and are averaged (not sampled): the
// middle of a picture half white, half black stays a sharp edge.
func TestThumbnails(t *testing.T) {
	p := NewProcessor(1, time.Second)
	cases := []struct {
		width int
		want  []int
	}{
		{1700, []int{400, 800, 1600}},
		{1000, []int{400, 800}},
		{400, nil},
		{300, nil},
	}
	for _, tc := range cases {
		pic, err := p.Reencode(t.Context(), encodePNG(t, halves(tc.width, tc.width/10)))
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, th := range pic.Thumbnails {
			got = append(got, th.Width)
			if wantH := max(1, (tc.width/10)*th.Width/tc.width); th.Height != wantH {
				t.Errorf("%d wide: thumbnail %d is %d high, want %d", tc.width, th.Width, th.Height, wantH)
			}
			img, err := jpeg.Decode(bytes.NewReader(th.Data))
			if err != nil {
				t.Fatal(err)
			}
			if r, _, _, _ := img.At(th.Width/4, th.Height/2).RGBA(); r>>8 < 240 {
				t.Errorf("%d wide: thumbnail %d: left quarter is %d, want white", tc.width, th.Width, r>>8)
			}
			if r, _, _, _ := img.At(3*th.Width/4, th.Height/2).RGBA(); r>>8 > 15 {
				t.Errorf("%d wide: thumbnail %d: right quarter is %d, want black", tc.width, th.Width, r>>8)
			}
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
			t.Errorf("%d wide: thumbnails %v, want %v", tc.width, got, tc.want)
		}
	}
}

// Shrinking averages exactly: a 3-pixel row of 0, 90, 255 made 2 pixels
// wide gives (0·2 + 90·1)/3 and (90·1 + 255·2)/3.
func TestShrinkAveragesCoveredArea(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 1))
	for x, v := range []uint8{0, 90, 255} {
		src.Set(x, 0, color.RGBA{v, v, v, 255})
	}
	got := shrink(src, 2, 1)
	if a, b := got.Pix[0], got.Pix[4]; a != 30 || b != 200 {
		t.Fatalf("got %d and %d, want 30 and 200", a, b)
	}
}
