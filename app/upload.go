package app

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"

	"convene/app/i18n"
	"convene/app/store"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits on uploaded pictures. A picture is decoded in full before it is
// re-encoded, so the pixel count, not the file size, bounds the memory an
// upload costs: 40 megapixels is about 160 MB of RGBA at worst, once.
const (
	maxUploadBytes  = 10 << 20
	maxUploadPixels = 40_000_000
	maxImageSide    = 2000 // longest side kept; larger pictures are scaled down
	jpegQuality     = 85
)

// imageFormats are the formats we accept, recognised by their bytes (never
// by the file name or the Content-Type the browser claims).
var imageFormats = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode},
	"webp": {webp.DecodeConfig, webp.Decode},
}

// sniffImage names the format of data from its magic bytes, or "".
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "webp"
	}
	return ""
}

// saveUploadedImage reads the picture sent in a multipart form field,
// checks it, re-encodes it (which drops EXIF, GPS and every other piece of
// metadata) and stores it. It returns (nil, "", nil) when no file was
// sent, and (nil, message, nil) when the file is not acceptable; message
// is translated and meant to be shown next to the field.
func (a *App) saveUploadedImage(r *http.Request, field string) (*store.Media, string, error) {
	l := a.printer(r)
	f, _, err := r.FormFile(field)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
		return nil, "", nil
	case errors.As(err, &tooBig), errors.Is(err, multipart.ErrMessageTooLarge):
		return nil, msgImageTooBig(l), nil
	case err != nil:
		// A truncated or malformed body: the browser's fault or the network's.
		return nil, l.T("The picture could not be read. Please choose it again."), nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	if err != nil {
		return nil, l.T("The picture could not be read. Please choose it again."), nil
	}
	if len(data) == 0 {
		// An empty file input still sends a part with no bytes.
		return nil, "", nil
	}
	return a.saveImage(r.Context(), l, data)
}

// saveImage checks, re-encodes and stores picture bytes; see
// saveUploadedImage for what it returns.
func (a *App) saveImage(ctx context.Context, l *i18n.Printer, data []byte) (*store.Media, string, error) {
	contentType, w, h, out, msg := reencodeImage(l, data)
	if msg != "" {
		return nil, msg, nil
	}
	m, err := a.store.CreateMedia(ctx, contentType, w, h, out)
	if err != nil {
		return nil, "", err
	}
	return m, "", nil
}

func msgImageTooBig(l *i18n.Printer) string {
	return l.T("This picture is too big: choose one of at most %d MB.", maxUploadBytes>>20)
}

// reencodeImage turns acceptable picture bytes into a fresh JPEG (or PNG
// when the picture has transparency), scaled down when very large. It
// returns a translated message instead when the bytes are not acceptable.
func reencodeImage(l *i18n.Printer, data []byte) (contentType string, w, h int, out []byte, msg string) {
	if len(data) > maxUploadBytes {
		return "", 0, 0, nil, msgImageTooBig(l)
	}
	format := sniffImage(data)
	codec, ok := imageFormats[format]
	if !ok {
		return "", 0, 0, nil, l.T("This file is not a picture we can use: choose a JPEG, PNG, GIF or WebP image.")
	}
	// Read the dimensions before decoding: a small file can claim a huge
	// picture (a decompression bomb), and decoding would allocate it all.
	cfg, err := codec.config(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", 0, 0, nil, l.T("This picture seems damaged and could not be read. Choose another one.")
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxUploadPixels || cfg.Width > 50_000 || cfg.Height > 50_000 {
		return "", 0, 0, nil, l.T("This picture has too many pixels (at most %d megapixels). Choose a smaller one.", maxUploadPixels/1_000_000)
	}
	img, err := decodeSafely(codec.decode, data)
	if err != nil {
		return "", 0, 0, nil, l.T("This picture seems damaged and could not be read. Choose another one.")
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if w > maxImageSide || h > maxImageSide {
		if w >= h {
			w, h = maxImageSide, max(1, h*maxImageSide/b.Dx())
		} else {
			w, h = max(1, w*maxImageSide/b.Dy()), maxImageSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	}
	if format == "jpeg" {
		// Turned after scaling, so that it costs little.
		dst = applyOrientation(dst, jpegOrientation(data))
		w, h = dst.Bounds().Dx(), dst.Bounds().Dy()
	}
	var buf bytes.Buffer
	if dst.Opaque() {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: jpegQuality})
		contentType = "image/jpeg"
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst)
		contentType = "image/png"
	}
	if err != nil {
		return "", 0, 0, nil, l.T("This picture seems damaged and could not be read. Choose another one.")
	}
	return contentType, w, h, buf.Bytes(), ""
}

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

// jpegOrientation reads the EXIF orientation (1–8) of a JPEG, 1 when
// absent. Phones store pictures sideways and say so in EXIF; since
// re-encoding drops EXIF, we turn the pixels instead.
func jpegOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 || marker == 0xff {
			i++
			continue
		}
		if marker == 0xda || marker == 0xd9 { // image data starts: no more metadata
			return 1
		}
		size := int(data[i+2])<<8 | int(data[i+3])
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xe1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return exifOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// exifOrientation finds tag 0x0112 in IFD0 of a TIFF structure.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var u16 func([]byte) int
	var u32 func([]byte) int
	switch string(t[:2]) {
	case "II":
		u16 = func(b []byte) int { return int(b[0]) | int(b[1])<<8 }
		u32 = func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24 }
	case "MM":
		u16 = func(b []byte) int { return int(b[1]) | int(b[0])<<8 }
		u32 = func(b []byte) int { return int(b[3]) | int(b[2])<<8 | int(b[1])<<16 | int(b[0])<<24 }
	default:
		return 1
	}
	off := u32(t[4:8])
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := u16(t[off:])
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if u16(t[e:]) == 0x0112 {
			if v := u16(t[e+8:]); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// applyOrientation turns and flips img as EXIF orientation o asks.
func applyOrientation(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 { // orientations 5–8 swap width and height
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			si := y*img.Stride + x*4
			di := dy*dst.Stride + dx*4
			copy(dst.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return dst
}
