package picture

import (
	"image"
	"image/color"
)

// decodeCost estimates, from the header, the bytes the standard decoder
// allocates for a picture: the pixels in the decoder's own layout, plus
// what the format makes it keep on the side. It errs on the high side.
func decodeCost(format string, data []byte, cfg image.Config) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch format {
	case "jpeg":
		return jpegCost(data, px)
	case "png":
		cost := px * bytesPerPixel(cfg.ColorModel)
		if len(data) > 28 && data[28] == 1 {
			// Interlaced: each of the seven passes is decoded on its
			// own before being merged; the largest is half the picture.
			cost += cost / 2
		}
		return cost
	case "gif":
		return px // one byte per pixel, first frame only
	case "webp":
		switch cfg.ColorModel {
		case color.YCbCrModel:
			return px * 2
		case color.NYCbCrAModel:
			return px * 4
		}
		return px * 8 // lossless: ARGB words, then NRGBA
	}
	return px * 8
}

func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// jpegCost reads the frame header: a baseline JPEG costs one byte per
// sample; a progressive one also keeps every coefficient block (four bytes
// per sample) until the end, which makes it five times as expensive.
func jpegCost(data []byte, px int64) int64 {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			break
		}
		marker := data[i+1]
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 || marker == 0xff {
			i++
			continue
		}
		size := int(data[i+2])<<8 | int(data[i+3])
		if marker == 0xc0 || marker == 0xc1 || marker == 0xc2 {
			seg := data[i+4 : min(len(data), i+2+size)]
			if len(seg) < 6 {
				break
			}
			n := int(seg[5])
			if n < 1 || len(seg) < 6+3*n {
				break
			}
			var hmax, vmax int64 = 1, 1
			for c := 0; c < n; c++ {
				hmax = max(hmax, int64(seg[7+3*c]>>4))
				vmax = max(vmax, int64(seg[7+3*c]&0x0f))
			}
			var samples int64
			for c := 0; c < n; c++ {
				h, v := int64(seg[7+3*c]>>4), int64(seg[7+3*c]&0x0f)
				samples += px * max(1, h) * max(1, v) / (hmax * vmax)
			}
			if marker == 0xc2 {
				return samples * 5
			}
			return samples
		}
		if size < 2 {
			break
		}
		i += 2 + size
	}
	return px * 4 * 5 // no frame header found: assume the worst
}
