// Package picture turns picture bytes from anyone (an upload, a peer's
// event banner) into a fresh picture we are willing to store and serve:
// checked by content, bounded in the memory it may cost, re-encoded (which
// drops EXIF, GPS and every other piece of metadata), scaled down when
// very large, with smaller copies for lists.
//
// Decoding is the one thing here that can cost a lot of memory: a
// compressed file of a few hundred kilobytes may unpack to hundreds of
// megabytes. So the cost of decoding is estimated from the file's header
// before any pixel is read and refused over a budget, and a Processor lets
// only a few pictures be decoded at a time; the others wait a little, then
// get ErrBusy.
package picture

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"time"

	"golang.org/x/image/webp"
)

// Limits. DecodeBudget bounds the memory one decode may take, as estimated
// from the header: 48 MiB is a 12-megapixel phone photo in JPEG (about
// 18 MB decoded) with room to spare, or a 12-megapixel screenshot in PNG;
// on a Raspberry Pi with 1 GB, one such decode at a time leaves the rest
// of the instance comfortable.
const (
	MaxBytes     = 10 << 20 // largest file accepted
	DecodeBudget = 48 << 20 // largest estimated decode, in bytes
	MaxSide      = 2000     // longest side kept; larger pictures are scaled down
	jpegQuality  = 85
	maxDimension = 30_000 // no side longer than this, whatever the budget says
)

// ThumbnailWidths are the widths of the smaller copies made of every
// picture wider than them (a picture is never scaled up).
var ThumbnailWidths = []int{400, 800, 1600}

// Why a picture is refused. ErrTooManyPixels and ErrBusy are the ones a
// person can do something about (a smaller picture; a moment's wait).
var (
	ErrTooBig        = errors.New("picture: file too big")
	ErrNotPicture    = errors.New("picture: not a JPEG, PNG, GIF or WebP picture")
	ErrDamaged       = errors.New("picture: damaged")
	ErrTooManyPixels = errors.New("picture: too many pixels to decode")
	ErrBusy          = errors.New("picture: other pictures are being processed")
)

// Picture is a re-encoded picture with its smaller copies.
type Picture struct {
	Image
	// Thumbnails, narrowest first: one per ThumbnailWidths entry narrower
	// than the picture.
	Thumbnails []Image
}

// Image is one encoded picture.
type Image struct {
	ContentType   string // image/jpeg, or image/png when it has transparency
	Width, Height int
	Data          []byte
}

// Processor decodes pictures a few at a time.
type Processor struct {
	slots chan struct{}
	wait  time.Duration
}

// NewProcessor lets `concurrent` pictures be decoded at once; a picture
// arriving when all are taken waits at most `wait`, then gets ErrBusy.
func NewProcessor(concurrent int, wait time.Duration) *Processor {
	return &Processor{slots: make(chan struct{}, max(1, concurrent)), wait: wait}
}

// Reencode checks picture bytes, decodes them within the budget and
// re-encodes them, with thumbnails. This is the one way into the
// database for a picture from outside.
func (p *Processor) Reencode(ctx context.Context, data []byte) (*Picture, error) {
	codec, err := check(data)
	if err != nil {
		return nil, err
	}
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := decodeSafely(codec.decode, data)
	if err != nil {
		return nil, ErrDamaged
	}
	scaled := fit(img, MaxSide)
	img = nil // the decoded picture is the big one: let it go before the rest
	if codec.name == "jpeg" {
		// Phones store pictures sideways and say so in EXIF; since
		// re-encoding drops EXIF, the pixels are turned instead (after
		// scaling, so that it costs little).
		scaled = applyOrientation(scaled, jpegOrientation(data))
	}
	main, err := encode(scaled)
	if err != nil {
		return nil, err
	}
	thumbs, err := thumbnails(scaled)
	if err != nil {
		return nil, err
	}
	return &Picture{Image: main, Thumbnails: thumbs}, nil
}

// Thumbnails makes the smaller copies of a picture we encoded ourselves
// earlier (one stored before thumbnails existed), within the same bound.
func (p *Processor) Thumbnails(ctx context.Context, data []byte) ([]Image, error) {
	codec, err := check(data)
	if err != nil {
		return nil, err
	}
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := decodeSafely(codec.decode, data)
	if err != nil {
		return nil, ErrDamaged
	}
	return thumbnails(fit(img, MaxSide))
}

// acquire takes a decoding slot, waiting at most p.wait.
func (p *Processor) acquire(ctx context.Context) (release func(), err error) {
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	default:
	}
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type codec struct {
	name   string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// codecs are the formats we accept, recognised by their bytes (never by a
// file name or a claimed Content-Type).
var codecs = []struct {
	magic func([]byte) bool
	codec codec
}{
	{func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8\xff")) }, codec{"jpeg", jpeg.DecodeConfig, jpeg.Decode}},
	{func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, codec{"png", png.DecodeConfig, png.Decode}},
	{func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}, codec{"gif", gif.DecodeConfig, gif.Decode}},
	{func(b []byte) bool {
		return len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP"))
	}, codec{"webp", webp.DecodeConfig, webp.Decode}},
}

// check recognises the format and refuses, from the header alone, what
// would cost too much to decode.
func check(data []byte) (codec, error) {
	if len(data) > MaxBytes {
		return codec{}, ErrTooBig
	}
	var c codec
	for _, k := range codecs {
		if k.magic(data) {
			c = k.codec
		}
	}
	if c.name == "" {
		return c, ErrNotPicture
	}
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return c, ErrDamaged
	}
	if cfg.Width > maxDimension || cfg.Height > maxDimension || decodeCost(c.name, data, cfg) > DecodeBudget {
		return c, ErrTooManyPixels
	}
	return c, nil
}

// MaxMegapixels is how large a picture may be in the most common case (an
// 8-bit RGB or RGBA picture), for messages to people.
func MaxMegapixels() int { return DecodeBudget / 4 / 1_000_000 }

// decodeSafely decodes, turning a decoder panic on hostile bytes into an
// error: the standard decoders are robust, but a picture from anyone must
// never take a request down.
func decodeSafely(decode func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if v := recover(); v != nil {
			img, err = nil, errors.New("image decoder panicked")
		}
	}()
	return decode(bytes.NewReader(data))
}

// fit returns img as RGBA, scaled down so that no side is over side.
func fit(img image.Image, side int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/b.Dx())
		} else {
			w, h = max(1, w*side/b.Dy()), side
		}
	}
	return shrink(img, w, h)
}

// thumbnails makes one copy per thumbnail width narrower than img.
func thumbnails(img *image.RGBA) ([]Image, error) {
	var out []Image
	b := img.Bounds()
	for _, tw := range ThumbnailWidths {
		if tw >= b.Dx() {
			break
		}
		enc, err := encode(shrink(img, tw, max(1, b.Dy()*tw/b.Dx())))
		if err != nil {
			return nil, err
		}
		out = append(out, enc)
	}
	return out, nil
}

// encode writes a JPEG, or a PNG when the picture has transparency.
func encode(img *image.RGBA) (Image, error) {
	var buf bytes.Buffer
	out := Image{Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var err error
	if img.Opaque() {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
		out.ContentType = "image/jpeg"
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
		out.ContentType = "image/png"
	}
	if err != nil {
		return Image{}, ErrDamaged
	}
	out.Data = buf.Bytes()
	return out, nil
}
